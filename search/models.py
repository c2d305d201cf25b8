from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryChange(models.Model):
    """Append-only log of catalogue changes, written in the same transaction as each change.

    Every copy of the search index records the id of the last change it applied and catches up
    from there (search/indexer.py). Rows carry the entry id only: the indexer reads the entry's
    current state, so replaying a change twice is harmless.
    """

    id = models.BigAutoField(primary_key=True)
    entry_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"change {self.id}: entry {self.entry_id}"


class ChangeLogHorizon(models.Model):
    """The highest change id pruned from the log (one row). A copy of the index that applied
    less than this has missed changes for good and must rebuild."""

    pruned_through = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"change log pruned through {self.pruned_through}"


class SavedSearch(models.Model):
    """A search a user keeps, with a daily e-mail digest of new matching entries."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("name"), max_length=200)
    query_string = models.CharField(
        _("search"), max_length=2000, help_text=_("The search page's URL query string.")
    )
    email_digest = models.BooleanField(_("daily e-mail of new entries"), default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_search_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
