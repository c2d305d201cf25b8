from django.db import models


class Tombstone(models.Model):
    """A record that a public catalogue object left: deleted, or an entry no longer published
    (archived, sent back to draft). API clients that mirror the catalogue read these from
    /api/v1/deletions/ to remove their copies. Written by catalog/tombstones.py."""

    class Kind(models.TextChoices):
        ENTRY = "entry", "entry"
        ORGANIZATION = "organization", "organization"

    model = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField()
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deleted_at", "pk"]
        indexes = [
            # The deletions feed: rows since a moment, oldest first.
            models.Index(fields=["deleted_at", "id"], name="tombstone_deleted_at"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} gone at {self.deleted_at:%Y-%m-%d %H:%M}"
