"""The life of a need: draft → submitted → validated → open → (matched) → closed.

Validating, opening and closing are decisions of programme staff. As for entries, the who/when
fields record the last time each step happened.
"""

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import Country, RegionalOffice, SdgGoal, SdgTarget, SupportKind, Theme
from exchange.errors import ApplicationError
from matching.models import Need, NeedReview
from notifications.models import Notification
from notifications.services import notify

Status = Need.Status


class Unset:
    """The type of UNSET: an argument not given, where None is a value."""


UNSET = Unset()


def _require_staff(by: User, doing: str) -> None:
    if not by.is_staff:
        raise ApplicationError(f"Only programme staff can {doing}.")


def _wrong_status(need: Need, expected: str) -> ApplicationError:
    return ApplicationError(f"{expected}; this need is {need.get_status_display().lower()}.")


def _save(need: Need, *, changes: dict[str, Any]) -> Need:
    for field, value in changes.items():
        setattr(need, field, value)
    need.save(update_fields=[*changes, "updated_at"])
    return need


def _need_url(need: Need) -> str:
    return reverse("matching:need_detail", kwargs={"pk": need.pk})


def _officers_of(need: Need) -> list[User]:
    """Whoever answers for the need: its creator and the officers of its regional office."""
    people = list(
        User.objects.filter(regional_office_id=need.regional_office_id, is_active=True).order_by(
            "pk"
        )
    )
    if need.created_by is not None and need.created_by not in people:
        people.append(need.created_by)
    return people


def _check_countries_in_region(countries: Iterable[Country], office_id: int) -> None:
    outside = [country for country in countries if country.regional_office_id != office_id]
    if outside:
        office = RegionalOffice.objects.get(pk=office_id)
        names = ", ".join(str(country.name) for country in outside)
        raise ApplicationError(
            f"{names}: not a country of the {office.name} regional office. "
            "Choose only countries your office serves.",
            extra={"fields": {"countries": [names]}},
        )


def _check_needed_by(needed_by: datetime.date | None) -> None:
    if needed_by is not None and needed_by <= timezone.localdate():
        raise ApplicationError(
            "The date the support is needed by must be after today.",
            extra={"fields": {"needed_by": ["after today"]}},
        )


@transaction.atomic
def need_create_draft(
    *,
    by: User,
    title: str,
    description: str,
    language: str,
    regional_office: RegionalOffice | None = None,
    creation_token: uuid.UUID | None = None,
) -> Need:
    """Start a need as a draft of the officer's regional office (staff name the office).

    With `creation_token`, a second call with the same token (a double click) returns the need
    the first call created instead of creating another.
    """
    if creation_token is not None:
        existing = Need.objects.filter(creation_token=creation_token).first()
        if existing is not None:
            if existing.created_by_id != by.pk:
                raise ApplicationError("This form was already used by someone else.")
            return existing
    office = regional_office if by.is_staff and regional_office else by.regional_office
    if office is None:
        raise ApplicationError("Only officers of a regional office and staff can register needs.")
    need = Need(
        title=title,
        description=description,
        language=language,
        regional_office=office,
        status=Status.DRAFT,
        created_by=by,
        creation_token=creation_token,
    )
    try:
        # A savepoint, so that losing the race to a concurrent double click leaves this
        # transaction usable for reading the winner's need.
        with transaction.atomic():
            need.save()
    except IntegrityError:
        existing = Need.objects.filter(creation_token=creation_token).first()
        if existing is None:
            raise
        return existing
    return need


def _require_editable(need: Need, by: User) -> None:
    if not by.has_perm("needs.edit", need):
        raise ApplicationError("You cannot change this need.")
    if need.status != Status.DRAFT:
        raise _wrong_status(need, "Only a draft need can be changed")


@transaction.atomic
def need_update(
    *,
    need: Need,
    by: User,
    title: str | None = None,
    description: str | None = None,
    language: str | None = None,
    countries: Iterable[Country] | None = None,
    themes: Iterable[Theme] | None = None,
    sdg_targets: Iterable[SdgTarget] | None = None,
    support_kinds: Iterable[SupportKind] | None = None,
    priority: str | None = None,
    time_frame: str | None = None,
    needed_by: datetime.date | None | Unset = UNSET,
    origin: str | None = None,
    origin_reference: str | None = None,
) -> Need:
    """Change a draft need: only the arguments given are changed (None, or UNSET for
    `needed_by` which may be emptied, leaves a field as it is).

    Countries must belong to the need's regional office; the SDG goals follow the targets;
    `needed_by` must be after today.
    """
    _require_editable(need, by)
    changes: dict[str, Any] = {
        field: value
        for field, value in (
            ("title", title),
            ("description", description),
            ("language", language),
            ("priority", priority),
            ("time_frame", time_frame),
            ("origin", origin),
            ("origin_reference", origin_reference),
        )
        if value is not None
    }
    if not isinstance(needed_by, Unset):
        _check_needed_by(needed_by)
        changes["needed_by"] = needed_by
    if countries is not None:
        countries = list(countries)
        _check_countries_in_region(countries, need.regional_office_id)
    if changes:
        _save(need, changes=changes)
    if countries is not None:
        need.countries.set(countries)
    if themes is not None:
        need.themes.set(list(themes))
    if sdg_targets is not None:
        targets = list(sdg_targets)
        need.sdg_targets.set(targets)
        need.sdg_goals.set(SdgGoal.objects.filter(targets__in=targets).distinct())
    if support_kinds is not None:
        need.support_kinds.set(list(support_kinds))
    return need


@transaction.atomic
def need_submit(*, need: Need, by: User) -> Need:
    if need.status != Status.DRAFT:
        raise _wrong_status(need, "Only a draft need can be submitted")
    # The admin form requires these, but drafts saved by other means may lack them.
    missing = [
        label
        for label, related in (
            ("a country", need.countries),
            ("a kind of support", need.support_kinds),
        )
        if not related.exists()
    ]
    if missing:
        raise ApplicationError(
            f"Add {' and '.join(missing)} to this need before submitting it.",
            extra={"missing": missing},
        )
    try:
        need.full_clean(exclude=["creation_token"])
    except ValidationError as exc:
        raise ApplicationError.from_validation_error(
            exc, prefix="This need cannot be submitted yet."
        ) from exc
    _check_countries_in_region(need.countries.all(), need.regional_office_id)
    _check_needed_by(need.needed_by)
    _save(
        need,
        changes={"status": Status.SUBMITTED, "submitted_at": timezone.now(), "submitted_by": by},
    )
    notify(
        recipients=User.objects.filter(is_staff=True, is_active=True),
        kind=Notification.Kind.SUBMISSION_RECEIVED,
        subject=f"Need submitted for screening: {need.title}",
        body=f"{by} submitted this need of the {need.regional_office.name} regional office.",
        url=_need_url(need),
    )
    return need


def _criteria(
    fits_national_priorities: bool | None, ldc_sids_priority: bool | None, is_clear: bool | None
) -> dict[str, bool | None]:
    return {
        "fits_national_priorities": fits_national_priorities,
        "ldc_sids_priority": ldc_sids_priority,
        "is_clear": is_clear,
    }


@transaction.atomic
def need_validate(
    *,
    need: Need,
    by: User,
    comment: str = "",
    fits_national_priorities: bool | None = None,
    ldc_sids_priority: bool | None = None,
    is_clear: bool | None = None,
) -> Need:
    """Accept a submitted need. The screening answers, when given, must say that the need fits
    national priorities and is clearly stated; LDC/LLDC/SIDS priority is recorded only."""
    _require_staff(by, "validate needs")
    if need.status != Status.SUBMITTED:
        raise _wrong_status(need, "Only a submitted need can be validated")
    if fits_national_priorities is False or is_clear is False:
        raise ApplicationError(
            "A need that does not fit national priorities or is not clearly stated cannot be "
            "validated: return it with comments instead."
        )
    _save(
        need,
        changes={"status": Status.VALIDATED, "validated_at": timezone.now(), "validated_by": by},
    )
    NeedReview.objects.create(
        need=need,
        by=by,
        decision=NeedReview.Decision.VALIDATED,
        comment=comment.strip(),
        **_criteria(fits_national_priorities, ldc_sids_priority, is_clear),
    )
    notify(
        recipients=_officers_of(need),
        kind=Notification.Kind.NEED_VALIDATED,
        subject=f"Need validated: {need.title}",
        body=comment.strip(),
        url=_need_url(need),
    )
    return need


@transaction.atomic
def need_return(
    *,
    need: Need,
    by: User,
    comment: str,
    fits_national_priorities: bool | None = None,
    ldc_sids_priority: bool | None = None,
    is_clear: bool | None = None,
) -> Need:
    """Send a submitted need back to draft, saying what to change; its officers are told."""
    _require_staff(by, "return needs")
    if need.status != Status.SUBMITTED:
        raise _wrong_status(need, "Only a submitted need can be returned")
    comment = comment.strip()
    if not comment:
        raise ApplicationError("Say what the officer should change before returning the need.")
    _save(need, changes={"status": Status.DRAFT})
    NeedReview.objects.create(
        need=need,
        by=by,
        decision=NeedReview.Decision.RETURNED,
        comment=comment,
        **_criteria(fits_national_priorities, ldc_sids_priority, is_clear),
    )
    notify(
        recipients=_officers_of(need),
        kind=Notification.Kind.RETURNED,
        subject=f"Need returned with comments: {need.title}",
        body=comment,
        url=_need_url(need),
    )
    return need


@transaction.atomic
def need_open(*, need: Need, by: User) -> Need:
    """Open a validated need to matching."""
    _require_staff(by, "open needs")
    if need.status != Status.VALIDATED:
        raise _wrong_status(need, "Only a validated need can be opened")
    return _save(
        need, changes={"status": Status.OPEN, "opened_at": timezone.now(), "opened_by": by}
    )


@transaction.atomic
def need_close(*, need: Need, by: User, reason: str) -> Need:
    """Close a need at any stage, saying why (met elsewhere, withdrawn, duplicate...)."""
    _require_staff(by, "close needs")
    if need.status == Status.CLOSED:
        raise ApplicationError("This need is already closed.")
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why this need is being closed.")
    return _save(
        need,
        changes={
            "status": Status.CLOSED,
            "closed_at": timezone.now(),
            "closed_by": by,
            "closed_reason": reason,
        },
    )
