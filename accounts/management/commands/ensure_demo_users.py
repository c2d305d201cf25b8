"""Create one demo account per role and print how to sign in (used by `make run`).

Development only: the accounts share a random password kept in var/demo-password.txt.
"""

import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Membership, User
from catalog.demo import DEMO_SOURCE_NAME
from catalog.models import Organization, RegionalOffice

# The demo partner: ICIMOD (Nepal) leads an entry of the demo catalogue.
DEMO_PARTNER_EXTERNAL_ID = "demo-org-icimod"


class Command(BaseCommand):
    help = "Create demo accounts for programme staff, an officer and a partner (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for development only (DEBUG=1).")
        password_file = settings.VAR_DIR / "demo-password.txt"
        if not password_file.exists():
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(secrets.token_urlsafe(12) + "\n", encoding="utf-8")
            password_file.chmod(0o600)
        password = password_file.read_text(encoding="utf-8").strip()

        staff = _ensure_user("staff@example.org", password, first_name="Programme", is_staff=True)
        officer = _ensure_user(
            "officer.africa@example.org",
            password,
            first_name="Africa office",
            regional_office=RegionalOffice.objects.get(code=RegionalOffice.Code.AFRICA),
        )
        partner = _ensure_user("partner@example.org", password, first_name="ICIMOD")
        organization = Organization.objects.filter(
            source__name=DEMO_SOURCE_NAME, external_id=DEMO_PARTNER_EXTERNAL_ID
        ).first()
        if organization is not None:
            Membership.objects.get_or_create(
                user=partner,
                organization=organization,
                defaults={"role": Membership.Role.ADMINISTRATOR},
            )
        lines = [
            f"  {staff.email:<28} programme staff",
            f"  {officer.email:<28} officer, UNEP Africa Office",
            f"  {partner.email:<28} partner administrator, {organization or '(no demo content)'}",
        ]
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo accounts, password {password}, "
                f"sign in at {options['url']}/accounts/login/\n" + "\n".join(lines) + "\n"
            )
        )


def _ensure_user(email: str, password: str, **fields: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, **fields)
    # allauth asks for a verified address before it lets anyone sign in.
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user
