"""The merge staff decide: one organization kept, everything of the other moved to it."""

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiKey, Invitation, Membership, User
from catalog.models import Entry, EntryProvider, Organization
from exchange.errors import ApplicationError
from partners.dedup.keys import alias_key, organization_keys
from partners.dedup.lookup import _alias, _aliases_of
from partners.models import OrganizationAlias
from search.changelog import log_entry_changes

# --- The merge ----------------------------------------------------------------------------------

_ROLE_STRENGTH: dict[str, int] = {
    EntryProvider.Role.LEAD: 3,
    EntryProvider.Role.PARTNER: 2,
    EntryProvider.Role.FUNDER: 1,
}
_MEMBERSHIP_STRENGTH: dict[str, int] = {
    Membership.Role.ADMINISTRATOR: 2,
    Membership.Role.CONTRIBUTOR: 1,
}
# Filled from the organization merged away when the one kept has none.
_FILLED_FIELDS = ("acronym", "website", "description", "contact_email")


@dataclass
class MergeResult:
    keep: Organization
    moved: dict[str, int] = field(default_factory=dict)  # "app.model.field" -> rows re-pointed
    aliases: list[OrganizationAlias] = field(default_factory=list)  # added by the merge


def _add_merge_aliases(
    keep: Organization, *, name: str, acronym: str, website: str, country_id: int | None
) -> list[OrganizationAlias]:
    """The name, acronym and website host of an organization merged into `keep`, as aliases of
    `keep`, where they differ from its own. A key that is already an alias stays where it is
    (the first merge that claimed it wins): nothing is taken from another organization."""
    Kind = OrganizationAlias.Kind
    own = organization_keys(name=keep.name, acronym=keep.acronym, website=keep.website)
    own_keys = {(Kind.NAME, own.name), (Kind.WEBSITE, own.host)} | {
        (Kind.ACRONYM, acronym) for acronym in own.acronyms
    }
    added: list[OrganizationAlias] = []
    for kind, spelling in ((Kind.NAME, name), (Kind.ACRONYM, acronym), (Kind.WEBSITE, website)):
        key = alias_key(kind, spelling)
        if not key or (kind, key) in own_keys:
            continue
        alias, created = OrganizationAlias.objects.get_or_create(
            kind=kind,
            normalized=key,
            defaults={
                "organization": keep,
                "spelling": spelling.strip()[:255],
                "country_id": country_id,
                "origin": OrganizationAlias.Origin.MERGE,
            },
        )
        if created:
            added.append(alias)
    return added


def _merge_entry_providers(keep: Organization, merge: Organization) -> int:
    moved = 0
    kept_links = {link.entry_id: link for link in EntryProvider.objects.filter(organization=keep)}
    for link in EntryProvider.objects.filter(organization=merge):
        existing = kept_links.get(link.entry_id)
        if existing is None:
            link.organization = keep
            link.save(update_fields=["organization"])
        else:
            # One entry named both: one link, with the stronger role of the two.
            if _ROLE_STRENGTH.get(link.role, 0) > _ROLE_STRENGTH.get(existing.role, 0):
                existing.role = link.role
                existing.save(update_fields=["role"])
            link.delete()
        moved += 1
    return moved


def _merge_memberships(keep: Organization, merge: Organization) -> int:
    moved = 0
    kept = {m.user_id: m for m in Membership.objects.filter(organization=keep)}
    for membership in Membership.objects.filter(organization=merge):
        existing = kept.get(membership.user_id)
        if existing is None:
            membership.organization = keep
            membership.save(update_fields=["organization"])
        else:
            if _MEMBERSHIP_STRENGTH.get(membership.role, 0) > _MEMBERSHIP_STRENGTH.get(
                existing.role, 0
            ):
                existing.role = membership.role
                existing.save(update_fields=["role"])
            membership.delete()
        moved += 1
    return moved


def _merge_invitations(keep: Organization, merge: Organization) -> int:
    pending_to_keep = {
        email.casefold()
        for email in Invitation.objects.filter(
            organization=keep, accepted_at__isnull=True, cancelled_at__isnull=True
        ).values_list("email", flat=True)
    }
    moved = 0
    for invitation in Invitation.objects.filter(organization=merge):
        pending = invitation.accepted_at is None and invitation.cancelled_at is None
        if pending and invitation.email.casefold() in pending_to_keep:
            # The person is already invited to the organization kept: one invitation waits.
            invitation.cancelled_at = timezone.now()
        invitation.organization = keep
        invitation.save(update_fields=["organization", "cancelled_at"])
        moved += 1
    return moved


_API_KEY_NAME_LENGTH = 100  # ApiKey.name's max_length


def _merge_api_keys(keep: Organization, merge: Organization) -> int:
    active_names = {
        name.casefold()
        for name in ApiKey.objects.filter(organization=keep, revoked_at__isnull=True).values_list(
            "name", flat=True
        )
    }
    moved = 0
    for key in ApiKey.objects.filter(organization=merge):
        if key.revoked_at is None and key.name.casefold() in active_names:
            # Names are unique among an organization's active keys: say where this one came from.
            suffix = f" ({merge.name})"
            key.name = key.name[: _API_KEY_NAME_LENGTH - len(suffix)] + suffix
        key.organization = keep
        key.save(update_fields=["organization", "name"])
        moved += 1
    return moved


def _merge_m2m_through(
    through: type[models.Model], field_name: str, other: str, keep: int, merge: int
) -> int:
    """Re-point the rows of an auto-created many-to-many table; a row the kept organization
    already has is dropped."""
    already = through._default_manager.filter(**{field_name: keep}).values(other)
    through._default_manager.filter(**{field_name: merge, f"{other}__in": already}).delete()
    return through._default_manager.filter(**{field_name: merge}).update(**{field_name: keep})


def _merge_generic(
    model: type[models.Model], field_name: str, keep: Organization, merge: Organization
) -> int:
    rows = model._default_manager.filter(**{field_name: merge})
    try:
        with transaction.atomic():
            return rows.update(**{field_name: keep})
    except IntegrityError as exc:
        raise ApplicationError(
            _(
                "The organizations cannot be merged: their %(things)s conflict (%(error)s). "
                "Resolve it by hand first."
            )
            % {"things": model._meta.verbose_name_plural, "error": exc}
        ) from exc


_SPECIAL_FOREIGN_KEYS: dict[type[models.Model], Any] = {
    EntryProvider: _merge_entry_providers,
    Membership: _merge_memberships,
    Invitation: _merge_invitations,
    ApiKey: _merge_api_keys,
}


def _log(
    *, object_id: int, object_repr: str, by: User, flag: int, message: list[dict[str, Any]]
) -> None:
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(Organization),
        object_id=str(object_id),
        object_repr=object_repr[:200],
        action_flag=flag,
        change_message=json.dumps(message),
    )


@transaction.atomic
def organization_merge(*, keep: Organization, merge: Organization, by: User) -> MergeResult:
    """Make `merge` part of `keep` and delete it, in one transaction.

    Every row that points at `merge` (found through `Organization._meta.related_objects`, so a
    relation added later is not forgotten) points at `keep` afterwards; where `keep` already has
    the same row (an entry both provide, a person in both, an invitation to the same address,
    an API key of the same name) the two become one. Blank fields of `keep` take `merge`'s
    values. `merge`'s (source, external id) stays findable: moved to `keep` when it has none,
    otherwise written as an alias in the admin log (see `organization_for_alias`); its name,
    acronym and website become `OrganizationAlias`es of `keep` (its own aliases move with the
    other relations). So the next sync, by identifier or by the old spelling, does not create
    it again."""
    if keep.pk == merge.pk:
        raise ApplicationError(_("An organization cannot be merged into itself."))
    locked = Organization.objects.select_for_update().in_bulk([keep.pk, merge.pk])
    if len(locked) != 2:
        raise ApplicationError(_("One of the organizations no longer exists."))
    keep, merge = locked[keep.pk], locked[merge.pk]
    result = MergeResult(keep=keep)
    entry_ids = set(
        EntryProvider.objects.filter(organization__in=[keep, merge]).values_list(
            "entry_id", flat=True
        )
    ) | set(
        Entry.member_organizations.through.objects.filter(  # type: ignore[attr-defined]
            organization__in=[keep, merge]
        ).values_list("entry_id", flat=True)
    )

    for relation in Organization._meta.related_objects:
        related = relation.related_model
        assert isinstance(related, type)
        label = f"{related._meta.label}.{relation.field.name}"
        if relation.many_to_many:
            m2m = relation.field
            assert isinstance(m2m, models.ManyToManyField)
            through = m2m.remote_field.through
            assert isinstance(through, type)
            if not through._meta.auto_created:
                continue  # a model of its own (EntryProvider): handled as a foreign key below
            result.moved[label] = _merge_m2m_through(
                through,
                m2m.m2m_reverse_field_name(),
                m2m.m2m_field_name(),
                keep.pk,
                merge.pk,
            )
        elif related in _SPECIAL_FOREIGN_KEYS:
            result.moved[label] = _SPECIAL_FOREIGN_KEYS[related](keep, merge)
        else:
            result.moved[label] = _merge_generic(related, relation.field.name, keep, merge)

    changed = [name for name in _FILLED_FIELDS if not getattr(keep, name) and getattr(merge, name)]
    for name in changed:
        setattr(keep, name, getattr(merge, name))

    aliases = _aliases_of(merge)
    take_provenance = keep.source_id is None and merge.source_id is not None
    if merge.source_id is not None and merge.external_id and not take_provenance:
        aliases.append(_alias(merge.source_id, merge.external_id))
    merged_pk, merged_source, merged_external_id = merge.pk, merge.source_id, merge.external_id
    merged_description = f"{merge} (#{merge.pk})"
    merged_names = (merge.name, merge.acronym, merge.website, merge.country_id)

    log_entry_changes(entry_ids)
    merge.delete()
    if take_provenance:
        keep.source_id, keep.external_id = merged_source, merged_external_id
        changed += ["source", "external_id"]
    if changed:
        keep.save(update_fields=[*changed, "updated_at"])
    name, acronym, website, country_id = merged_names
    result.aliases = _add_merge_aliases(
        keep, name=name, acronym=acronym, website=website, country_id=country_id
    )

    message: list[dict[str, Any]] = [
        {"deleted": {"name": str(Organization._meta.verbose_name), "object": merged_description}}
    ]
    message += [{"merged_alias": alias} for alias in aliases]
    if result.aliases:
        message.append({"added_aliases": [alias.spelling for alias in result.aliases]})
    if changed:
        message.append({"changed": {"fields": changed}})
    _log(object_id=keep.pk, object_repr=str(keep), by=by, flag=CHANGE, message=message)
    _log(
        object_id=merged_pk,
        object_repr=merged_description,
        by=by,
        flag=DELETION,
        message=[{"merged_into": {"organization": keep.pk, "name": str(keep)}}],
    )
    return result
