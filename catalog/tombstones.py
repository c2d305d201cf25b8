"""Tombstones for the API's deletions feed: a row each time a public catalogue object leaves.

As for the search change log (search/changelog.py), signal receivers rather than the services
write them, against the house rule that signals carry no business logic: entries and
organizations leave through the admin, the moderation services, partner sync and the shell,
and a mirror that misses one removal stays wrong for good. Receivers run inside the
transaction of the write, so a rollback removes the tombstone with the change.

- an entry that was published and is saved with another status (archived, returned to draft);
- a published entry deleted;
- an organization deleted (organizations are public).
"""

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from catalog.models import Entry, Organization, Tombstone

_WAS_PUBLISHED = "_tombstone_was_published"


def _entry_pre_save(sender: Any, instance: Entry, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None or instance.status == Entry.Status.PUBLISHED:
        return
    was_published = Entry.objects.filter(pk=instance.pk, status=Entry.Status.PUBLISHED).exists()
    setattr(instance, _WAS_PUBLISHED, was_published)


def _entry_post_save(sender: Any, instance: Entry, raw: bool = False, **kwargs: Any) -> None:
    if getattr(instance, _WAS_PUBLISHED, False):
        Tombstone.objects.create(model=Tombstone.Kind.ENTRY, object_id=instance.pk)
    if hasattr(instance, _WAS_PUBLISHED):
        delattr(instance, _WAS_PUBLISHED)


def _entry_pre_delete(sender: Any, instance: Entry, **kwargs: Any) -> None:
    setattr(
        instance,
        _WAS_PUBLISHED,
        Entry.objects.filter(pk=instance.pk, status=Entry.Status.PUBLISHED).exists(),
    )


def _entry_post_delete(sender: Any, instance: Entry, **kwargs: Any) -> None:
    if getattr(instance, _WAS_PUBLISHED, False):
        Tombstone.objects.create(model=Tombstone.Kind.ENTRY, object_id=instance.pk)


def _organization_post_delete(sender: Any, instance: Organization, **kwargs: Any) -> None:
    Tombstone.objects.create(model=Tombstone.Kind.ORGANIZATION, object_id=instance.pk)


def connect() -> None:
    # The module proxies (Technology...) send signals with themselves as sender: connect each.
    models: list[type[Entry]] = [Entry, *Entry.__subclasses__()]
    for model in models:
        pre_save.connect(_entry_pre_save, sender=model, dispatch_uid=f"tombstone-pre-{model}")
        post_save.connect(_entry_post_save, sender=model, dispatch_uid=f"tombstone-post-{model}")
        pre_delete.connect(_entry_pre_delete, sender=model, dispatch_uid=f"tombstone-pd-{model}")
        post_delete.connect(_entry_post_delete, sender=model, dispatch_uid=f"tombstone-del-{model}")
    post_delete.connect(
        _organization_post_delete, sender=Organization, dispatch_uid="tombstone-organization"
    )
