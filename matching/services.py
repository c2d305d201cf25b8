"""The life of a need: draft → submitted → validated → open → (matched) → closed.

Validating, opening and closing are decisions of programme staff. As for entries, the who/when
fields record the last time each step happened.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from exchange.errors import ApplicationError
from matching.models import Need

Status = Need.Status


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
        need.full_clean()
    except ValidationError as exc:
        raise ApplicationError.from_validation_error(
            exc, prefix="This need cannot be submitted yet."
        ) from exc
    return _save(
        need,
        changes={"status": Status.SUBMITTED, "submitted_at": timezone.now(), "submitted_by": by},
    )


@transaction.atomic
def need_validate(*, need: Need, by: User) -> Need:
    _require_staff(by, "validate needs")
    if need.status != Status.SUBMITTED:
        raise _wrong_status(need, "Only a submitted need can be validated")
    return _save(
        need,
        changes={"status": Status.VALIDATED, "validated_at": timezone.now(), "validated_by": by},
    )


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
