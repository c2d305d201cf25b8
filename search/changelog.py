"""The entry change log: an `EntryChange` row for every change to what an entry's search document
is made of, written in the same transaction as the change.

Every copy of the search index catches up from this log (`search.indexer`). A row names the
entry only; the indexer reads the entry as it is then, so logging an entry twice, or logging a
change that turns out not to matter for search, costs a little work and is never wrong.

Two ways in:

- ORM writes of single rows (`save()`, `delete()`, the many-to-many managers) are logged by the
  signal receivers below, connected in `SearchConfig.ready()`. Signals are the right tool here,
  against the house rule that signals carry no business logic, because this is infrastructure
  that must not depend on every write path remembering it: the admin, the services, the partner
  sync and the shell all write entries.
- Bulk writes that send no signals (`QuerySet.update()`, `bulk_create()`, COPY) call
  `log_entry_changes(entry_ids)` themselves, inside their transaction, or for a very large set
  `log_entry_changes_for(queryset)`.

A receiver runs inside the transaction of the write that sent the signal, so a rollback removes
the log row with the change. One caveat: `Model.save()` outside any `transaction.atomic()` (plain
autocommit) commits the row before the receiver runs, so the log row is written by the very
next statement rather than atomically with it; the services, the admin and the partner sync all
write inside `transaction.atomic()`.
"""

import itertools
import logging
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from catalog.models import Entry, EntryProvider, Organization
from search.models import EntryChange

logger = logging.getLogger(__name__)

# The many-to-many fields of an entry that its search document is made of. `providers` goes
# through `EntryProvider`, whose own saves and deletes are logged as well.
INDEXED_M2M_FIELDS = (
    "countries_of_origin",
    "countries_applied",
    "themes",
    "sdg_goals",
    "sdg_targets",
    "support_kinds",
    "providers",
    "member_organizations",
)

# What an entry's document takes from its providers (search/documents.py): keep in step.
INDEXED_ORGANIZATION_COLUMNS = ("type", "country_id")

# Rows per INSERT when logging many entries at once.
LOG_BATCH_SIZE = 5_000


def log_entry_changes(entry_ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Log a change of each of these entries, in the caller's transaction; returns the rows
    written. For bulk writes that send no signals: call it in the same transaction as the
    `QuerySet.update()`, `bulk_create()` or COPY, with the ids of the entries written."""
    written = 0
    for batch in itertools.batched(sorted(set(entry_ids)), LOG_BATCH_SIZE):
        EntryChange.objects.using(using).bulk_create(
            [EntryChange(entry_id=entry_id) for entry_id in batch]
        )
        written += len(batch)
    if written:
        _catch_up_after_commit(using)
    return written


def log_entry_changes_for(entries: QuerySet[Entry]) -> int:
    """Log a change of each entry of a queryset with one INSERT ... SELECT, in the caller's
    transaction; returns the rows written. For very large bulk writes (the generator's COPY of a
    million entries), where building the ids in Python would cost more than the write."""
    using = entries.db
    try:
        sql, params = entries.order_by().values_list("pk").query.get_compiler(using).as_sql()
    except EmptyResultSet:  # e.g. `.none()`
        return 0
    table = connections[using].ops.quote_name(EntryChange._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (entry_id, created_at) "  # noqa: S608 - our table, a compiled queryset
            f"SELECT DISTINCT ids.*, %s FROM ({sql}) AS ids ORDER BY 1",
            [timezone.now(), *params],
        )
        written = cursor.rowcount
    if written:
        _catch_up_after_commit(using)
    return written


def _catch_up_after_commit(using: str) -> None:
    """Without a broker (`make run`), bring this machine's index up to date once the
    transaction commits: there is no indexer process to do it. Registered once per
    transaction, however many changes it logs."""
    if not settings.SEARCH_CATCH_UP_ON_COMMIT:
        return
    from search.indexer import index_catch_up_after_commit

    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(
        func is index_catch_up_after_commit for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(index_catch_up_after_commit, using=using, robust=True)


# --- Signal receivers ----------------------------------------------------------------------------


def _entry_saved_or_deleted(
    sender: type[Entry], instance: Entry, using: str, **kwargs: Any
) -> None:
    log_entry_changes([instance.pk], using=using)


def _provider_saved_or_deleted(
    sender: type[EntryProvider], instance: EntryProvider, using: str, **kwargs: Any
) -> None:
    log_entry_changes([instance.entry_id], using=using)


def _organization_entry_ids(organization_id: int, using: str) -> set[int]:
    """The entries whose documents name this organization: as a provider or a network member."""
    members = Entry.member_organizations.through
    return set(
        EntryProvider.objects.using(using)
        .filter(organization_id=organization_id)
        .values_list("entry_id", flat=True)
    ) | set(
        members.objects.using(using)  # type: ignore[attr-defined]
        .filter(organization_id=organization_id)
        .values_list("entry_id", flat=True)
    )


def _organization_saving(
    sender: type[Organization], instance: Organization, using: str, **kwargs: Any
) -> None:
    # Remember what the entries' documents show of the organization, to compare after saving.
    if instance.pk is not None:
        instance._search_indexed_before = (  # type: ignore[attr-defined]
            Organization.objects.using(using)
            .filter(pk=instance.pk)
            .values_list(*INDEXED_ORGANIZATION_COLUMNS)
            .first()
        )


def _organization_saved(
    sender: type[Organization], instance: Organization, created: bool, using: str, **kwargs: Any
) -> None:
    # A new organization has no entries yet; a changed type or country changes the documents
    # of all its entries (provider type; South-South or triangular).
    before = getattr(instance, "_search_indexed_before", None)
    after = tuple(getattr(instance, column) for column in INDEXED_ORGANIZATION_COLUMNS)
    if not created and before != after:
        log_entry_changes(_organization_entry_ids(instance.pk, using), using=using)


def _organization_deleting(
    sender: type[Organization], instance: Organization, using: str, **kwargs: Any
) -> None:
    # Before the delete: its network memberships go with it (a cascade sends no m2m signal).
    # A provider cannot be deleted (the link protects it), so the entries found here are networks.
    log_entry_changes(_organization_entry_ids(instance.pk, using), using=using)


def _m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    using: str,
    **kwargs: Any,
) -> None:
    """`entry.themes.add(...)` (forward: `instance` is the entry) and `theme.entries.add(...)`
    (reverse: `pk_set` holds entry ids), for each action that changes rows."""
    if action in ("post_add", "post_remove"):
        if pk_set:
            log_entry_changes(pk_set if reverse else [instance.pk], using=using)
    elif action == "pre_clear":
        if not reverse:
            log_entry_changes([instance.pk], using=using)
        else:
            field = _M2M_FIELDS_BY_THROUGH[sender]
            log_entry_changes(
                sender._default_manager.using(using)
                .filter(**{field.m2m_reverse_name(): instance.pk})
                .values_list(field.m2m_column_name(), flat=True),
                using=using,
            )


_M2M_FIELDS_BY_THROUGH: dict[type[models.Model], models.ManyToManyField[Any, Any]] = {}


def connect_signals() -> None:
    """Connect the receivers; called once from `SearchConfig.ready()`."""
    # A proxy model (Technology, Event...) sends signals as itself, not as Entry.
    for model in apps.get_models():
        if issubclass(model, Entry):
            post_save.connect(_entry_saved_or_deleted, sender=model, dispatch_uid=f"log-{model}")
            post_delete.connect(_entry_saved_or_deleted, sender=model, dispatch_uid=f"log-{model}")
    post_save.connect(_provider_saved_or_deleted, sender=EntryProvider, dispatch_uid="log-ep")
    post_delete.connect(_provider_saved_or_deleted, sender=EntryProvider, dispatch_uid="log-ep")
    pre_save.connect(_organization_saving, sender=Organization, dispatch_uid="log-org")
    post_save.connect(_organization_saved, sender=Organization, dispatch_uid="log-org")
    pre_delete.connect(_organization_deleting, sender=Organization, dispatch_uid="log-org")
    for name in INDEXED_M2M_FIELDS:
        field = Entry._meta.get_field(name)
        assert isinstance(field, models.ManyToManyField)
        through = field.remote_field.through
        assert isinstance(through, type)
        _M2M_FIELDS_BY_THROUGH[through] = field
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"log-{name}")
