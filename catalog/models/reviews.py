from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models.entries import Entry


class EntryReview(models.Model):
    """A moderation decision by programme staff on a submitted entry, with the comment the
    contributor sees (catalog.services.entry_publish / entry_return)."""

    class Decision(models.TextChoices):
        PUBLISHED = "published", _("Published")
        RETURNED = "returned", _("Returned with comments")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="reviews")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="entry_reviews",
        verbose_name=_("reviewed by"),
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # An entry's reviews, newest first (the contributor's edit page, the review page).
            models.Index(fields=["entry", "-created_at"], name="entry_review_entry_created"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.get_decision_display()}"
