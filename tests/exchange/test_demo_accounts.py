"""The accounts `make run` creates: a newcomer can sign in with each role."""

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Membership, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True
    return tmp_path


def test_admin_and_demo_accounts_sign_in_through_the_portal_form(var_dir: Path) -> None:
    call_command("load_demo", verbosity=0)
    call_command("ensure_admin", stdout=StringIO())
    output = StringIO()
    call_command("ensure_demo_users", stdout=output)
    admin_password = (var_dir / "admin-password.txt").read_text().strip()
    demo_password = (var_dir / "demo-password.txt").read_text().strip()
    assert f"password {demo_password}" in output.getvalue()

    for email, password in (
        ("admin@example.org", admin_password),
        ("staff@example.org", demo_password),
        ("officer.africa@example.org", demo_password),
        ("partner@example.org", demo_password),
    ):
        client = Client()
        response = client.post("/accounts/login/", {"login": email, "password": password})
        assert response.status_code == 302, email
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)

    officer = User.objects.get(email="officer.africa@example.org")
    assert officer.regional_office is not None and officer.regional_office.code == "africa"
    assert User.objects.get(email="staff@example.org").is_staff
    membership = Membership.objects.get(user__email="partner@example.org")
    assert (membership.organization.acronym, membership.role) == ("ICIMOD", "administrator")


def test_demo_accounts_are_refused_without_debug(var_dir: Path, settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(Exception, match="development only"):
        call_command("ensure_demo_users")
    assert not User.objects.filter(email="staff@example.org").exists()
