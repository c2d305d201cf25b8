"""The API guide's examples marked `# runnable` run as written, each in a process of its own as
a reader would run it, against a live portal with the demo data (`manage.py load_demo`) and an
API key of the demo partner."""

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from accounts.api_keys import api_key_create
from accounts.models import ApiKey, User
from catalog.models import Entry, Organization
from matching.ranking.profiles import forget_reference
from tests.docs.conftest import DOCS
from webhooks import signatures

GUIDES = sorted((DOCS / "api").glob("*.md"))
FENCE = re.compile(r"^```(python|sh)\n(# runnable\n.*?)^```", re.M | re.S)


def runnable_examples() -> list[tuple[str, str, str]]:
    examples = []
    for guide in GUIDES:
        for number, (language, code) in enumerate(FENCE.findall(guide.read_text("utf-8"))):
            examples.append((f"{guide.name}#{number}", language, code))
    return examples


@pytest.fixture
def demo_api(live_server: LiveServer, settings: Any, tmp_path: Path) -> dict[str, str]:
    """The demo portal of `make run`, and a `read` key of the demo partner (ICIMOD)."""
    if not Organization.objects.exists():  # a transactional test emptied the database before
        call_command("load_reference", verbosity=0)
    forget_reference()
    call_command("load_demo", verbosity=0)
    settings.DEBUG, settings.VAR_DIR = True, tmp_path
    call_command("ensure_demo_users", stdout=io.StringIO())
    settings.DEBUG = False
    call_command("search_catch_up", verbosity=0)
    partner = User.objects.get(email="partner@example.org")
    organization = partner.memberships.get().organization
    _key, secret = api_key_create(
        organization=organization, by=partner, name="Manual examples", scopes=["read"]
    )
    return {"SSE_URL": live_server.url, "SSE_API_KEY": secret}


def run(language: str, code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code] if language == "python" else ["bash", "-ec", code]
    return subprocess.run(  # noqa: S603 - the manual's own examples
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_api_guide_has_runnable_python_and_curl_examples() -> None:
    languages = [language for _name, language, _code in runnable_examples()]
    assert languages.count("python") >= 5
    assert languages.count("sh") >= 2


@pytest.mark.django_db(transaction=True)
def test_every_runnable_example_of_the_api_guide_works_on_the_demo_data(
    demo_api: dict[str, str],
) -> None:
    published = Entry.objects.published().count()
    assert published > 10
    outputs = {}
    for name, language, code in runnable_examples():
        completed = run(language, code, demo_api)
        assert completed.returncode == 0, (name, completed.stderr)
        if "print(" in code or language == "sh":
            assert completed.stdout.strip(), name
        outputs[name] = completed.stdout
    text = "\n".join(outputs.values())
    # The search found the demo's rainwater entries; the mirror copied every published entry;
    # the second read of an unchanged list was a 304; a bad date was a problem detail.
    assert re.search(r"^\d+ \w+ .*[Rr]ainwater", text, re.M)
    assert f"{published} entries; next time, updated_since=" in text
    assert re.search(r"^304$", text, re.M)
    assert re.search(r"^invalid_updated_since - ", text, re.M)
    assert ApiKey.objects.get(name="Manual examples").last_used_at is not None


def test_the_guide_s_signature_check_accepts_the_portal_s_signature_only() -> None:
    code = next(code for _name, _language, code in runnable_examples() if "def verified" in code)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - the manual's own example
    verified = namespace["verified"]
    secret, body, now = signatures.new_secret(), b'{"event": "entry.changed"}', int(time.time())
    headers = {
        "X-Exchange-Timestamp": str(now),
        "X-Exchange-Signature": signatures.sign(secret=secret, timestamp=now, body=body),
    }
    assert verified(secret, headers, body)
    assert not verified(secret, headers, body + b" ")
    assert not verified("whsec_other", headers, body)
    old = now - 3600
    replayed = {
        "X-Exchange-Timestamp": str(old),
        "X-Exchange-Signature": signatures.sign(secret=secret, timestamp=old, body=body),
    }
    assert not verified(secret, replayed, body)
