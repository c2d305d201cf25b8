"""Create the local administrator on first run and print how to sign in (used by `make run`)."""

import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User


class Command(BaseCommand):
    help = "Create a superuser with a random password if there is none, and print the login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="admin@example.org")
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        email: str = options["email"]
        password_file = settings.VAR_DIR / "admin-password.txt"
        if not User.objects.filter(email=email).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(email=email, password=password)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
        admin = User.objects.get(email=email)
        # allauth asks for a verified address before it lets anyone sign in on the portal.
        EmailAddress.objects.get_or_create(
            user=admin, email=email, defaults={"verified": True, "primary": True}
        )
        if password_file.exists():
            password = password_file.read_text(encoding="utf-8").strip()
        else:
            password = "(unchanged; reset it with: manage.py changepassword " + email + ")"
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Portal: {options['url']}/\n"
                f"  Admin:  {options['url']}/admin/  e-mail {email}  password {password}\n"
            )
        )
