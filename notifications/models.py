from django.conf import settings
from django.db import models
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def not_emailed(self) -> "NotificationQuerySet":
        return self.filter(emailed_at__isnull=True)


class Notification(models.Model):
    """One message to one user: shown in the portal's inbox and sent by e-mail, at once or in
    the daily digest, as the user chose (`User.notification_mode`)."""

    class Kind(models.TextChoices):
        SUBMISSION_RECEIVED = "submission-received", _("Submission received")
        RETURNED = "returned", _("Returned with comments")
        PUBLISHED = "published", _("Published")
        NEED_VALIDATED = "need-validated", _("Need validated")
        STRONG_MATCH = "strong-match", _("New strong match")
        REMINDER = "reminder", _("Reminder")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # Where the notification leads, a path on the portal ("/needs/12/").
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the e-mail (immediate or digest) that carried it was sent.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The inbox and its unread count: a user's notifications, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The daily digest: notifications not yet e-mailed.
            models.Index(
                fields=["emailed_at"],
                name="notification_not_emailed",
                condition=models.Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def safe_url(self) -> str:
        """`url` when it is a path on this site, else "": the inbox follows nothing else, so a
        notification can never send someone to another site."""
        url = self.url.strip()
        if not url.startswith("/") or url.startswith(("//", "/\\")):
            return ""
        return url if url_has_allowed_host_and_scheme(url, allowed_hosts=None) else ""
