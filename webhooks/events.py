"""Which webhooks hear of a change, and what they are told (who follows what: webhooks/models.py).

Entries and needs change through the services, the admin, imports, partner sync and the shell,
so, as for the deletions feed (catalog/tombstones.py), signal receivers notice the changes. They
only note what the row was before; once the transaction commits (`transaction.on_commit`, so a
rollback sends nothing), one query finds the webhooks that follow the object and a delivery is
stored and queued for each. Strong matches are stored by the ranker in bulk, which sends no
signal: `need_suggestions_refresh` sends `matching.signals.suggestions_stored` instead.

A payload names the event, when it happened, the object's API URL and a short summary
(id, title, status, updated_at), and only what the receiving organization may see: an entry it
leads, or a published one; a public need (open or matched). An object that stops being visible
to it is announced once with its id and `"visible": false`, as a removal in the deletions feed.
"""

import functools
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.urls import reverse
from django.utils import timezone

from catalog.models import Entry, EntryProvider
from matching.models import Match, Need
from matching.signals import suggestions_stored
from webhooks.models import Delivery, EventType, Webhook
from webhooks.services import deliveries_create

PUBLIC_NEED = (Need.Status.OPEN, Need.Status.MATCHED)
_BEFORE = "_webhook_status_before"
_DELETED = "_webhook_deleted"
# Saves of only these fields are the portal's bookkeeping, not a change anyone follows.
_BOOKKEEPING_FIELDS = {
    "updated_at",
    "reconfirm_reminded_at",
    "stored_last_seen_at",
    "content_hash",
}


def _api_url(name: str, pk: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs={"pk": pk})


def _entry_summary(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "url": _api_url("api:entry-detail", entry.pk),
        "module": entry.module,
        "title": entry.title,
        "status": entry.status,
        "updated_at": entry.updated_at.isoformat(),
    }


def _need_summary(need: Need) -> dict[str, Any]:
    return {
        "id": need.pk,
        "url": _api_url("api:need-detail", need.pk),
        "title": need.title,
        "status": need.status,
        "updated_at": need.updated_at.isoformat(),
    }


def _hidden(pk: int) -> dict[str, Any]:
    return {"id": pk, "visible": False}


def _listening(event_type: str, follows: Q) -> list[Webhook]:
    """The active webhooks that follow (`follows`) the object and listen to `event_type`: one
    query (event types are checked on the rows it returns)."""
    webhooks = Webhook.objects.filter(follows, is_active=True).distinct().order_by("pk")
    return [webhook for webhook in webhooks if webhook.listens_to(event_type)]


def _filters_match(theme_codes: Iterable[str], country_codes: Iterable[str]) -> Q:
    """Webhooks with at least one filter, each of which the object's codes meet. The
    conditions apply to one joined (theme, country) row of the webhook, hence the pairs."""
    return (
        (Q(themes__isnull=False) | Q(countries__isnull=False))
        & (Q(themes__isnull=True) | Q(themes__code__in=list(theme_codes)))
        & (Q(countries__isnull=True) | Q(countries__iso3__in=list(country_codes)))
    )


def _leads(entry_ids: Any) -> QuerySet[EntryProvider]:
    return EntryProvider.objects.filter(entry_id__in=entry_ids, role=EntryProvider.Role.LEAD)


def _entry_codes(entry: Entry) -> tuple[list[str], list[str]]:
    themes = [theme.code for theme in entry.themes.all()]
    countries = sorted(
        {country.iso3 for country in entry.countries_of_origin.all()}
        | {country.iso3 for country in entry.countries_applied.all()}
    )
    return themes, countries


def _need_codes(need: Need) -> tuple[list[str], list[str]]:
    return [theme.code for theme in need.themes.all()], [c.iso3 for c in need.countries.all()]


def _event(event_type: str, action: str, **objects: Any) -> dict[str, Any]:
    return {
        "event": event_type,
        "action": action,
        "occurred_at": timezone.now().isoformat(),
        **objects,
    }


# Entries --------------------------------------------------------------------------------------


def entry_changed(*, entry_id: int, action: str, was_published: bool) -> list[Delivery]:
    """After the commit of a change to an entry that still exists."""
    entry = (
        Entry.objects.filter(pk=entry_id)
        .prefetch_related("themes", "countries_of_origin", "countries_applied")
        .first()
    )
    if entry is None:  # deleted since: its deletion has its own event
        return []
    leaders = set(_leads([entry_id]).values_list("organization_id", flat=True))
    published = entry.status == Entry.Status.PUBLISHED
    follows = Q(organization_id__in=leaders)
    if published or was_published:
        follows |= _filters_match(*_entry_codes(entry))
    rows = []
    for webhook in _listening(EventType.ENTRY_CHANGED, follows):
        visible = published or webhook.organization_id in leaders
        summary = _entry_summary(entry) if visible else _hidden(entry.pk)
        payload = _event(EventType.ENTRY_CHANGED, action, entry=summary)
        rows.append((webhook, EventType.ENTRY_CHANGED.value, f"entry:{entry.pk}", payload))
    return deliveries_create(rows)


def entry_deleted(
    *, entry_id: int, leaders: set[int], was_published: bool, codes: tuple[list[str], list[str]]
) -> list[Delivery]:
    follows = Q(organization_id__in=leaders)
    if was_published:
        follows |= _filters_match(*codes)
    payload = _event(EventType.ENTRY_CHANGED, "deleted", entry={"id": entry_id, "visible": False})
    return deliveries_create(
        [
            (webhook, EventType.ENTRY_CHANGED.value, f"entry:{entry_id}", payload)
            for webhook in _listening(EventType.ENTRY_CHANGED, follows)
        ]
    )


def _entry_pre_save(sender: Any, instance: Entry, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    before = Entry.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    setattr(instance, _BEFORE, before)


def _entry_post_save(
    sender: Any, instance: Entry, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    before = getattr(instance, _BEFORE, None)
    if hasattr(instance, _BEFORE):
        delattr(instance, _BEFORE)
    update_fields = kwargs.get("update_fields")
    if raw or (update_fields and set(update_fields) <= _BOOKKEEPING_FIELDS):
        return
    status = instance.status
    if created or before is None:
        action = "created"
    elif status != before and status == Entry.Status.PUBLISHED:
        action = "published"
    elif status != before and status == Entry.Status.ARCHIVED:
        action = "archived"
    else:
        action = "updated"
    transaction.on_commit(
        functools.partial(
            entry_changed,
            entry_id=instance.pk,
            action=action,
            was_published=before == Entry.Status.PUBLISHED,
        ),
        robust=True,
    )


def _entry_pre_delete(sender: Any, instance: Entry, **kwargs: Any) -> None:
    snapshot = {
        "leaders": set(_leads([instance.pk]).values_list("organization_id", flat=True)),
        "was_published": Entry.objects.filter(
            pk=instance.pk, status=Entry.Status.PUBLISHED
        ).exists(),
        "codes": _entry_codes(instance),
    }
    setattr(instance, _DELETED, snapshot)


def _entry_post_delete(sender: Any, instance: Entry, **kwargs: Any) -> None:
    snapshot = getattr(instance, _DELETED, None)
    if snapshot is None:
        return
    transaction.on_commit(
        functools.partial(entry_deleted, entry_id=instance.pk, **snapshot), robust=True
    )


# Needs ----------------------------------------------------------------------------------------


def _need_followers(need_id: int, codes: tuple[list[str], list[str]]) -> Q:
    matched_with = _leads(Match.objects.filter(need_id=need_id).values("entry_id"))
    return Q(organization_id__in=matched_with.values("organization_id")) | _filters_match(*codes)


def need_changed(*, need_id: int, action: str, was_public: bool) -> list[Delivery]:
    need = Need.objects.filter(pk=need_id).prefetch_related("themes", "countries").first()
    if need is None:
        return []
    public = need.status in PUBLIC_NEED
    if not public and not was_public:
        return []  # never seen by an organization: nothing to tell
    summary = _need_summary(need) if public else _hidden(need.pk)
    payload = _event(EventType.NEED_CHANGED, action, need=summary)
    return deliveries_create(
        [
            (webhook, EventType.NEED_CHANGED.value, f"need:{need.pk}", payload)
            for webhook in _listening(
                EventType.NEED_CHANGED, _need_followers(need.pk, _need_codes(need))
            )
        ]
    )


def need_deleted(*, need_id: int, followers: list[int], was_public: bool) -> list[Delivery]:
    if not was_public:
        return []
    payload = _event(EventType.NEED_CHANGED, "deleted", need=_hidden(need_id))
    return deliveries_create(
        [
            (webhook, EventType.NEED_CHANGED.value, f"need:{need_id}", payload)
            for webhook in _listening(EventType.NEED_CHANGED, Q(pk__in=followers))
        ]
    )


def _need_pre_save(sender: Any, instance: Need, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    setattr(
        instance,
        _BEFORE,
        Need.objects.filter(pk=instance.pk).values_list("status", flat=True).first(),
    )


def _need_post_save(
    sender: Any, instance: Need, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    before = getattr(instance, _BEFORE, None)
    if hasattr(instance, _BEFORE):
        delattr(instance, _BEFORE)
    if created or before is None:
        action = "created"
    elif before != instance.status:
        action = "status-changed"
    else:
        action = "updated"
    transaction.on_commit(
        functools.partial(
            need_changed, need_id=instance.pk, action=action, was_public=before in PUBLIC_NEED
        ),
        robust=True,
    )


def _need_pre_delete(sender: Any, instance: Need, **kwargs: Any) -> None:
    was_public = Need.objects.filter(pk=instance.pk, status__in=PUBLIC_NEED).exists()
    followers: list[int] = []
    if was_public:
        followers = [
            webhook.pk
            for webhook in _listening(
                EventType.NEED_CHANGED, _need_followers(instance.pk, _need_codes(instance))
            )
        ]
    setattr(instance, _DELETED, {"followers": followers, "was_public": was_public})


def _need_post_delete(sender: Any, instance: Need, **kwargs: Any) -> None:
    snapshot = getattr(instance, _DELETED, None)
    if snapshot is None:
        return
    transaction.on_commit(
        functools.partial(need_deleted, need_id=instance.pk, **snapshot), robust=True
    )


# Strong matches -------------------------------------------------------------------------------


def strong_matches_stored(*, need_id: int, ranked_at: Any) -> list[Delivery]:
    """After a refresh of a need's suggestions: its strong suggestions that this run created or
    rescored, announced to each webhook that follows the need or the entry and has not heard
    of the match yet, when it may see both."""
    matches = list(
        Match.objects.filter(
            need_id=need_id,
            need__status__in=PUBLIC_NEED,
            status=Match.Status.SUGGESTED,
            score__gte=settings.MATCH_STRONG_THRESHOLD,
            ranked_at=ranked_at,
        )
        .select_related("need", "entry")
        .prefetch_related("need__themes", "need__countries")
        .order_by("-score", "pk")
    )
    rows = []
    need_codes: tuple[list[str], list[str]] | None = None
    for match in matches:
        need_codes = need_codes or _need_codes(match.need)
        leaders = set(_leads([match.entry_id]).values_list("organization_id", flat=True))
        subject = f"match:{match.pk}"
        told = Delivery.objects.filter(event_type=EventType.MATCH_STRONG, subject=subject).values(
            "webhook_id"
        )
        webhooks = _listening(
            EventType.MATCH_STRONG,
            (Q(organization_id__in=leaders) | _need_followers(need_id, need_codes))
            & ~Q(pk__in=told),
        )
        for webhook in webhooks:
            published = match.entry.status == Entry.Status.PUBLISHED
            if not published and webhook.organization_id not in leaders:
                continue
            payload = _event(
                EventType.MATCH_STRONG,
                "created",
                match={"score": round(match.score, 4), "ranked_at": match.ranked_at.isoformat()},
                need=_need_summary(match.need),
                entry=_entry_summary(match.entry),
            )
            rows.append((webhook, EventType.MATCH_STRONG.value, subject, payload))
    return deliveries_create(rows)


def _suggestions_stored(sender: Any, need_id: int, ranked_at: Any, **kwargs: Any) -> None:
    transaction.on_commit(
        functools.partial(strong_matches_stored, need_id=need_id, ranked_at=ranked_at),
        robust=True,
    )


def connect() -> None:
    # The module proxies (Technology...) send signals with themselves as sender: connect each.
    models: list[type[Entry]] = [Entry, *Entry.__subclasses__()]
    for model in models:
        pre_save.connect(_entry_pre_save, sender=model, dispatch_uid=f"webhook-pre-{model}")
        post_save.connect(_entry_post_save, sender=model, dispatch_uid=f"webhook-post-{model}")
        pre_delete.connect(_entry_pre_delete, sender=model, dispatch_uid=f"webhook-pd-{model}")
        post_delete.connect(_entry_post_delete, sender=model, dispatch_uid=f"webhook-del-{model}")
    pre_save.connect(_need_pre_save, sender=Need, dispatch_uid="webhook-need-pre")
    post_save.connect(_need_post_save, sender=Need, dispatch_uid="webhook-need-post")
    pre_delete.connect(_need_pre_delete, sender=Need, dispatch_uid="webhook-need-pd")
    post_delete.connect(_need_post_delete, sender=Need, dispatch_uid="webhook-need-del")
    suggestions_stored.connect(_suggestions_stored, dispatch_uid="webhook-strong-matches")
