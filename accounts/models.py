import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailUserManager(UserManager["User"]):
    """Users sign in with their e-mail address; the username mirrors it."""

    def _normalize(self, email: str | None) -> str:
        if not email:
            raise ValueError("An e-mail address is required.")
        return self.normalize_email(email).lower()

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> "User":
        email = self._normalize(email)
        extra_fields.setdefault("username", email)
        return super().create_user(email=email, password=password, **extra_fields)  # type: ignore[arg-type]

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> "User":
        email = self._normalize(email)
        extra_fields.setdefault("username", email)
        return super().create_superuser(email=email, password=password, **extra_fields)  # type: ignore[arg-type]


class User(AbstractUser):
    """A person who signs in. Roles (accounts/permissions.py):

    - programme staff: `is_staff` (moderation, validation of needs, reports, partner sync);
    - administrator: `is_superuser`;
    - regional office officer: `regional_office` is set;
    - partner contributor or administrator: a `Membership` of an organization.
    """

    class NotificationMode(models.TextChoices):
        IMMEDIATE = "immediate", _("As they happen")
        DAILY = "daily", _("In a daily digest")

    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    regional_office = models.ForeignKey(
        "catalog.RegionalOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        verbose_name=_("officer of regional office"),
    )
    notification_mode = models.CharField(
        _("e-mail notifications"),
        max_length=10,
        choices=NotificationMode.choices,
        default=NotificationMode.IMMEDIATE,
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = EmailUserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_programme_staff(self) -> bool:
        return self.is_active and self.is_staff

    @property
    def is_officer(self) -> bool:
        return self.is_active and self.regional_office_id is not None


class Membership(models.Model):
    """A user's role in a partner organization."""

    class Role(models.TextChoices):
        CONTRIBUTOR = "contributor", _("Partner contributor")
        ADMINISTRATOR = "administrator", _("Partner administrator")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        "catalog.Organization", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                name="membership_unique_user_organization",
                violation_error_message=_("This person is already a member of the organization."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} ({self.get_role_display()})"


def _new_key() -> str:
    return secrets.token_urlsafe(32)


class Role(models.TextChoices):
    """The roles an invitation or an access request can be for."""

    PARTNER_CONTRIBUTOR = "contributor", _("Partner contributor")
    PARTNER_ADMINISTRATOR = "administrator", _("Partner administrator")
    OFFICER = "officer", _("Regional office officer")
    STAFF = "staff", _("Programme staff")

    @classmethod
    def partner_roles(cls) -> tuple[str, ...]:
        return (cls.PARTNER_CONTRIBUTOR, cls.PARTNER_ADMINISTRATOR)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> "InvitationQuerySet":
        """Neither accepted nor cancelled (possibly expired)."""
        return self.filter(accepted_at__isnull=True, cancelled_at__isnull=True)

    def usable(self) -> "InvitationQuerySet":
        return self.pending().filter(expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An e-mailed link that lets one person open an account with a given role."""

    VALID_FOR = datetime.timedelta(days=14)

    email = models.EmailField(_("e-mail address"))
    organization = models.ForeignKey(
        "catalog.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    regional_office = models.ForeignKey(
        "catalog.RegionalOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("regional office"),
    )
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_sent"
    )
    key = models.CharField(max_length=64, unique=True, default=_new_key, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The language the e-mails to this person are written in (the one they used on the portal).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One pending invitation per address and organization (a double-submitted form
            # makes one); staff and officer invitations have no organization.
            # (Coalesce rather than nulls_distinct, which SQLite, used by `make run`, ignores.)
            models.UniqueConstraint(
                Lower("email"),
                Coalesce("organization", 0),
                condition=Q(accepted_at__isnull=True, cancelled_at__isnull=True),
                name="invitation_one_pending_per_email_organization",
                violation_error_message=_(
                    "An invitation to this address is already waiting to be accepted."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and not self.is_expired


class AccessRequest(models.Model):
    """Someone without an account asks for one; staff approve (an invitation) or decline."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    organization = models.ForeignKey(
        "catalog.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_requests",
        verbose_name=_("organization"),
    )
    organization_name = models.CharField(
        _("organization (if not listed)"), max_length=255, blank=True
    )
    role = models.CharField(_("role wanted"), max_length=20, choices=Role.choices)
    regional_office = models.ForeignKey(
        "catalog.RegionalOffice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_requests",
        verbose_name=_("regional office"),
    )
    message = models.TextField(_("message"), blank=True, max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The language the e-mails to this person are written in (the one they used on the portal).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One request per address waits for a decision (a double click makes one).
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(status="pending"),
                name="access_request_one_pending_per_email",
                violation_error_message=_(
                    "A request from this address is already waiting for a decision."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class ErasureRequest(models.Model):
    """A person asks for their personal data to be removed. The request counts once they
    follow the link e-mailed to the address; staff then erase in one step."""

    email = models.EmailField(_("e-mail address"))
    key = models.CharField(max_length=64, unique=True, default=_new_key, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    erased_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open request per address: asking again re-sends the same link.
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(erased_at__isnull=True),
                name="erasure_request_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return self.email


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> "ApiKeyQuerySet":
        """Neither revoked nor expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A key an external system uses to call the REST API for an organization.

    The full key is `sse_<prefix>_<secret>`; only the prefix (to find the row) and a SHA-256
    hash of the secret are stored, so the key is shown once, when it is created. What a key may
    do: accounts/permissions.py, "API keys".
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE_ENTRIES = "write-entries", _("Write catalogue entries")
        WRITE_NEEDS = "write-needs", _("Write needs")
        MANAGE_MATCHES = "manage-matches", _("Manage matches")
        MANAGE_WEBHOOKS = "manage-webhooks", _("Manage webhooks")

    organization = models.ForeignKey(
        "catalog.Organization",
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys_created")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A double-submitted form makes one key: names are unique among an
            # organization's keys that are not revoked.
            models.UniqueConstraint(
                "organization",
                Lower("name"),
                condition=Q(revoked_at__isnull=True),
                name="api_key_unique_active_name",
                violation_error_message=_("The organization already has a key with this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
