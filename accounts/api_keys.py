"""API keys of organizations: created and revoked by the organization's administrators (and
programme staff), shown once, stored as a SHA-256 hash of their secret.

A key reads `sse_<prefix>_<secret>`: the prefix finds the row, the secret is compared with
`hmac.compare_digest` against the stored hash. The secret has 256 bits of randomness, so a
plain hash (rather than a slow password hash) is enough and keeps each request cheap.
"""

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiKey, User
from catalog.models import Organization
from exchange.errors import ApplicationError

KEY_PREFIX = "sse"
# Every key expires: one year at most, to be replaced before then.
MAX_VALIDITY = datetime.timedelta(days=366)
# Keys an organization can hold at once (not revoked): a bound on what a leaked session could mint.
MAX_ACTIVE_KEYS = 20
# Seen as used at most this often: no write on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_manager(by: User, organization: Organization) -> None:
    if not by.has_perm("organizations.manage", organization):
        raise ApplicationError(_("Only the organization's administrators can manage its API keys."))


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    by: User,
    name: str,
    scopes: Collection[str],
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its full text, which is shown this once and never stored."""
    _require_manager(by, organization)
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the key a name."), extra={"fields": {"name": ["required"]}})
    unknown = set(scopes) - set(ApiKey.Scope.values)
    if unknown or not scopes:
        raise ApplicationError(
            _("Choose one or more of the scopes: %(scopes)s.")
            % {"scopes": ", ".join(ApiKey.Scope.values)},
            extra={"fields": {"scopes": ["invalid"]}},
        )
    now = timezone.now()
    if expires_at is None:
        expires_at = now + MAX_VALIDITY
    if expires_at <= now or expires_at > now + MAX_VALIDITY:
        raise ApplicationError(
            _("A key expires after today and within a year."),
            extra={"fields": {"expires_at": ["out of range"]}},
        )
    if ApiKey.objects.active().filter(organization=organization).count() >= MAX_ACTIVE_KEYS:
        raise ApplicationError(
            _("The organization has %(count)s active keys already; revoke one first.")
            % {"count": MAX_ACTIVE_KEYS}
        )
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        organization=organization,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=[scope for scope in ApiKey.Scope.values if scope in scopes],
        created_by=by,
        expires_at=expires_at,
    )
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("The organization already has a key named “%(name)s”.") % {"name": name},
            extra={"fields": {"name": ["duplicate"]}, "code": "duplicate_name"},
        ) from exc
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


@transaction.atomic
def api_key_revoke(*, key: ApiKey, by: User) -> ApiKey:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    _require_manager(by, key.organization)
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = by
        locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


class KeyRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def api_key_check(raw: str) -> ApiKey:
    """The key `raw` names, if it is valid now; `KeyRefused` says why not otherwise."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise KeyRefused("invalid_key", _("This is not an API key of this portal."))
    key = (
        ApiKey.objects.select_related("organization", "created_by").filter(prefix=parts[1]).first()
    )
    # Compared even when no key has the prefix, so that the time taken tells nothing.
    stored = key.secret_hash if key is not None else _hash("")
    if not hmac.compare_digest(stored, _hash(parts[2])) or key is None:
        raise KeyRefused("invalid_key", _("This API key is not valid."))
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRefused("key_revoked", _("This API key was revoked."))
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRefused("key_expired", _("This API key has expired."))
    if not key.created_by.is_active:
        raise KeyRefused(
            "key_owner_inactive",
            _("The account that created this API key is closed; ask for a new key."),
        )
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
