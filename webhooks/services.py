"""Webhooks: registering them, and sending each delivery with retries (README, "Webhooks").

A delivery is tried at once, then after about 1, 5, 25... minutes (WEBHOOK_RETRY_BASE_SECONDS
times 5 to the number of failed attempts, give or take a fifth at random so that many
deliveries do not come back together), until WEBHOOK_MAX_ATTEMPTS attempts: then it "gave up".
A 2xx answer is a success; a 4xx other than 408 and 429 says the receiver will not take it,
and is not retried ("failed"); a URL refused as a private address is not retried either.
After WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row (any deliveries) the webhook is
disabled and the organization's administrators are told; re-enabling it resets the count.
"""

import datetime
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from catalog.models import Country, Organization, Theme
from exchange.errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify
from webhooks import signatures, targets
from webhooks.models import PING, Delivery, EventType, Webhook

EXCERPT_STORED = 1000
NO_RETRY_STATUSES = range(400, 500)
RETRIED_4XX = (408, 429)


# Registration -------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, extra={"fields": {field: [message]}})


def _checked_url(url: str) -> str:
    url = url.strip()
    try:
        targets.check_url(url)
    except targets.TargetRefused as refused:
        raise _invalid("url", refused.message) from None
    return url


def _checked_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in EventType.values]
    if unknown or not chosen:
        raise _invalid(
            "event_types",
            _("Choose one or more of the events: %(events)s.")
            % {"events": ", ".join(EventType.values)},
        )
    return chosen


def _unknown(field: str, codes: Iterable[str]) -> ApplicationError:
    listed = ", ".join(sorted(codes)[:10])
    return _invalid(field, _("Unknown codes: %(codes)s.") % {"codes": listed})


def _checked_themes(codes: Iterable[str]) -> list[Theme]:
    chosen = set(codes)
    themes = list(Theme.objects.filter(code__in=chosen))
    if unknown := chosen - {theme.code for theme in themes}:
        raise _unknown("themes", unknown)
    return themes


def _checked_countries(codes: Iterable[str]) -> list[Country]:
    chosen = {code.upper() for code in codes}
    countries = list(Country.objects.filter(iso3__in=chosen))
    if unknown := chosen - {country.iso3 for country in countries}:
        raise _unknown("countries", unknown)
    return countries


@transaction.atomic
def webhook_create(
    *,
    organization: Organization,
    by: User,
    url: str,
    event_types: Iterable[str],
    theme_codes: Iterable[str] = (),
    country_codes: Iterable[str] = (),
    description: str = "",
) -> tuple[Webhook, str]:
    """Register a webhook; returns it with its secret, which is shown this once."""
    secret = signatures.new_secret()
    themes, countries = _checked_themes(theme_codes), _checked_countries(country_codes)
    webhook = Webhook.objects.create(
        organization=organization,
        url=_checked_url(url),
        description=description.strip(),
        secret=secret,
        event_types=_checked_event_types(event_types),
        created_by=by,
    )
    webhook.themes.set(themes)
    webhook.countries.set(countries)
    return webhook, secret


@transaction.atomic
def webhook_update(*, webhook: Webhook, changes: dict[str, Any]) -> Webhook:
    """Change what was given among url, description, event_types, theme_codes, country_codes
    and is_active. Enabling a disabled webhook starts its count of failures afresh."""
    checks: dict[str, Callable[[Any], Any]] = {
        "url": _checked_url,
        "description": lambda value: str(value).strip(),
        "event_types": _checked_event_types,
        "is_active": bool,
    }
    unknown = set(changes) - set(checks) - {"theme_codes", "country_codes"}
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if "theme_codes" in changes:
        webhook.themes.set(_checked_themes(changes["theme_codes"]))
    if "country_codes" in changes:
        webhook.countries.set(_checked_countries(changes["country_codes"]))
    fields = []
    for name, check in checks.items():
        if name in changes:
            setattr(webhook, name, check(changes[name]))
            fields.append(name)
    if changes.get("is_active"):
        webhook.consecutive_failures, webhook.disabled_at, webhook.disabled_reason = 0, None, ""
        fields += ["consecutive_failures", "disabled_at", "disabled_reason"]
    webhook.save(update_fields=[*fields, "updated_at"])
    return webhook


@transaction.atomic
def webhook_rotate_secret(*, webhook: Webhook) -> tuple[Webhook, str]:
    """A new secret at once (the old one stops working); shown this once."""
    secret = signatures.new_secret()
    webhook.secret = secret
    webhook.save(update_fields=["secret", "updated_at"])
    return webhook, secret


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


# Deliveries ---------------------------------------------------------------------------------


def _enqueue(delivery_ids: Sequence[int]) -> None:
    from webhooks.tasks import webhook_deliver_task

    for delivery_id in delivery_ids:
        # Robust: a broker that is down must not fail what was committed; the sweep sends it.
        transaction.on_commit(
            lambda pk=delivery_id: webhook_deliver_task.delay(pk),  # type: ignore[misc]
            robust=True,
        )


def deliveries_create(rows: Sequence[tuple[Webhook, str, str, dict[str, Any]]]) -> list[Delivery]:
    """One pending delivery per (webhook, event type, subject, payload), each queued."""
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            webhook=webhook,
            event_type=event_type,
            subject=subject,
            payload=payload,
            next_attempt_at=now,
        )
        for webhook, event_type, subject, payload in rows
    )
    _enqueue([delivery.pk for delivery in deliveries])
    return deliveries


@transaction.atomic
def webhook_ping(*, webhook: Webhook) -> Delivery:
    """Send a test event (`ping`) to an active webhook."""
    if not webhook.is_active:
        raise ApplicationError(_("This webhook is disabled: enable it first."))
    payload = {
        "event": PING,
        "occurred_at": timezone.now().isoformat(),
        "webhook": {"id": webhook.pk, "events": list(webhook.event_types)},
    }
    (delivery,) = deliveries_create([(webhook, PING, f"webhook:{webhook.pk}", payload)])
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery's event again, as a new delivery with the same event id (a receiver
    that has it already can tell)."""
    if not delivery.webhook.is_active:
        raise ApplicationError(_("This webhook is disabled: enable it first."))
    again = Delivery.objects.create(
        webhook=delivery.webhook,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        subject=delivery.subject,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
    )
    _enqueue([again.pk])
    return again


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: 1, 5, 25... minutes
    (with the default base), give or take a fifth."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 5 ** max(attempts - 1, 0)
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


def _claim(delivery_id: int, now: datetime.datetime) -> bool:
    lease = now + datetime.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    return bool(
        Delivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            # A retry's message may come a moment early (clocks, countdown rounding).
            next_attempt_at__lte=now + datetime.timedelta(seconds=2),
        ).update(claimed_until=lease)
    )


def _body(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def delivery_headers(delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": f"South-South-Exchange-Webhooks/{settings.PORTAL_VERSION}",
        "X-Exchange-Event": delivery.event_type,
        "X-Exchange-Delivery": str(delivery.event_id),
        "X-Exchange-Timestamp": str(timestamp),
        "X-Exchange-Signature": signatures.sign(
            secret=delivery.webhook.secret, timestamp=timestamp, body=body
        ),
    }


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """Make the attempt that is due for a pending delivery; None when there is none to make
    (done already, not yet due, or being sent by another worker): safe to run twice.

    Returns the delivery afterwards; when it is to be retried, `next_attempt_at` says when.
    """
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.is_active:
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = _("The webhook is disabled.")
        delivery.claimed_until = None
        delivery.save(update_fields=["status", "last_error", "claimed_until", "updated_at"])
        return delivery

    body = _body(delivery)
    timestamp = int(time.time())
    status: int | None = None
    excerpt = error = ""
    retry = True
    try:
        answer = targets.post(
            webhook.url,
            body=body,
            headers=delivery_headers(delivery, body, timestamp),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
        status, excerpt = answer.status, answer.excerpt
    except targets.TargetRefused as refused:
        error, retry = refused.message, False
    except TimeoutError:
        error = _("No answer within %(s)s s.") % {"s": settings.WEBHOOK_TIMEOUT_SECONDS}
    except Exception as exc:  # noqa: BLE001 - whatever failed, it is this attempt's outcome
        error = f"{type(exc).__name__}: {exc}"[:500]
    return _record(delivery, status=status, excerpt=excerpt, error=error, retry=retry)


@transaction.atomic
def _record(
    delivery: Delivery, *, status: int | None, excerpt: str, error: str, retry: bool
) -> Delivery:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = status
    delivery.response_excerpt = excerpt[:EXCERPT_STORED]
    delivery.claimed_until = None
    succeeded = status is not None and 200 <= status < 300
    if status is not None and not succeeded:
        error = _("The receiver answered %(status)s.") % {"status": status}
        if status in NO_RETRY_STATUSES and status not in RETRIED_4XX:
            retry = False
    delivery.last_error = error[:500]
    if succeeded:
        delivery.status = Delivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
    elif not retry:
        delivery.status = Delivery.Status.FAILED
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = Delivery.Status.GAVE_UP
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + datetime.timedelta(seconds=retry_delay(delivery.attempts))
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "response_status",
            "response_excerpt",
            "claimed_until",
            "last_error",
            "status",
            "next_attempt_at",
            "updated_at",
        ]
    )
    if succeeded:
        Webhook.objects.filter(pk=delivery.webhook_id).exclude(consecutive_failures=0).update(
            consecutive_failures=0
        )
    else:
        _count_failure(delivery.webhook_id)
    if delivery.status == Delivery.Status.PENDING and delivery.next_attempt_at is not None:
        _enqueue_retry(delivery.pk, delivery.next_attempt_at)
    return delivery


def _enqueue_retry(delivery_id: int, when: datetime.datetime) -> None:
    from webhooks.tasks import webhook_deliver_task

    countdown = max((when - timezone.now()).total_seconds(), 0)
    transaction.on_commit(
        lambda: webhook_deliver_task.apply_async((delivery_id,), countdown=countdown),
        robust=True,
    )


def _count_failure(webhook_id: int) -> None:
    Webhook.objects.filter(pk=webhook_id).update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    # Only the attempt that crosses the limit disables (and tells), once.
    disabled = Webhook.objects.filter(
        pk=webhook_id, is_active=True, consecutive_failures__gte=limit
    ).update(
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason=_("Disabled after %(count)s failed attempts in a row.") % {"count": limit},
    )
    if disabled:
        webhook = Webhook.objects.select_related("organization").get(pk=webhook_id)
        _tell_administrators(webhook)


def _tell_administrators(webhook: Webhook) -> None:
    administrators = User.objects.filter(
        memberships__organization=webhook.organization,
        memberships__role=Membership.Role.ADMINISTRATOR,
        is_active=True,
    )
    notify(
        recipients=administrators,
        # No kind of its own yet (notifications/ would need a migration): a reminder to act.
        kind=Notification.Kind.REMINDER,
        subject=_("A webhook of %(organization)s was disabled")
        % {"organization": webhook.organization.name},
        body=_(
            "Calls to %(url)s failed %(count)s times in a row, so the portal stopped calling "
            "it. Check the receiver, then enable the webhook again on the webhooks page."
        )
        % {"url": webhook.url, "count": webhook.consecutive_failures},
        url=reverse("webhooks:list", kwargs={"pk": webhook.organization_id}),
    )


# Housekeeping -------------------------------------------------------------------------------


def deliveries_requeue_due(*, now: datetime.datetime | None = None) -> int:
    """Queue again the pending deliveries whose attempt is overdue and that no worker holds
    (a message lost with a broker restart, a worker killed mid-attempt)."""
    now = now or timezone.now()
    overdue = now - datetime.timedelta(minutes=2)
    due = list(
        Delivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=overdue,
            webhook__is_active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    _enqueue(due)
    return len(due)


def deliveries_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS: the log stays
    bounded. Returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    deleted, _by_model = Delivery.objects.filter(created_at__lt=cutoff).delete()
    return deleted
