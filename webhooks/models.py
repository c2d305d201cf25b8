"""Webhooks: an organization's subscriptions to changes (`Webhook`) and the log of each call
made to them (`Delivery`).

What an organization follows, and so what its webhooks hear of:

- `entry.changed`: the entries it leads (any status: it sees its drafts), created, updated,
  published, archived or deleted; and, when the webhook has theme or country filters, the
  published entries of other organizations that match them (also when they stop being
  published: then only their id, as in the deletions feed);
- `need.changed`: the public needs (open or matched) that its entries are matched with (a
  suggestion or a followed match), and, with filters, the public needs that match them, e.g. all
  needs in Kenya about water. A need that stops being public is announced once with its id
  only. A webhook belongs to an organization, not to a person: it never hears of a need that
  only an officer may see;
- `match.strong`: a new strong suggestion (score at least MATCH_STRONG_THRESHOLD) for an entry
  it leads or for a need it follows as above, when the entry is one it may see.

Filters: `themes` and `countries` (API: theme codes, ISO alpha-3 codes). Each one given
must overlap the object's (a need's countries; an entry's countries of origin or application);
with no filter at all, a webhook follows only its own entries and the needs they are matched with.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    ENTRY_CHANGED = "entry.changed", _("An entry changed")
    NEED_CHANGED = "need.changed", _("A need changed")
    MATCH_STRONG = "match.strong", _("A new strong match")


# Sent by "ping" only; nobody subscribes to it.
PING = "ping"


class Webhook(models.Model):
    """A URL of an organization's that the portal calls, signed with `secret`, when something
    it follows changes (see the module docstring).

    The secret is kept as it is, since signing needs it: it is shown once, when the webhook is
    created or its secret rotated, and never again (not in the API, the pages or the admin).
    """

    organization = models.ForeignKey(
        "catalog.Organization",
        on_delete=models.CASCADE,
        related_name="webhooks",
        verbose_name=_("organization"),
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    # A list of EventType values (JSON rather than a PostgreSQL array: the portal also runs on
    # SQLite); the emission reads it once the webhooks that follow an object are found.
    event_types = models.JSONField(_("events"), default=list)
    themes = models.ManyToManyField(
        "catalog.Theme", blank=True, related_name="+", verbose_name=_("themes")
    )
    countries = models.ManyToManyField(
        "catalog.Country", blank=True, related_name="+", verbose_name=_("countries")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Failed attempts in a row, of any of its deliveries; a success resets it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # Emission: the active webhooks of the organizations that follow an object.
            models.Index(
                fields=["organization"], condition=Q(is_active=True), name="webhook_active_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.url}"

    def listens_to(self, event_type: str) -> bool:
        return event_type in self.event_types


class Delivery(models.Model):
    """One event sent (or to be sent) to one webhook, with what happened on each attempt.

    `event_id` goes out as `X-Exchange-Delivery`: it stays the same across retries and
    redeliveries, so that a receiver can ignore an event it already has.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        GAVE_UP = "gave-up", _("Gave up")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=30)
    # What the event is about ("entry:12", "need:5", "match:77"): a strong match is announced
    # once per webhook.
    subject = models.CharField(max_length=40, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending it holds it until then; another one leaves it alone meanwhile.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("deliveries")
        indexes = [
            # The log of one webhook, newest first (API and page).
            models.Index(fields=["webhook", "-created_at"], name="delivery_webhook_created"),
            # The sweep: pending deliveries whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
            # Pruning the log: deliveries older than the retention.
            models.Index(fields=["created_at"], name="delivery_created"),
            # A strong match is announced once per webhook.
            models.Index(
                fields=["webhook", "subject"],
                condition=Q(event_type="match.strong"),
                name="delivery_strong_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.webhook_id} ({self.status})"
