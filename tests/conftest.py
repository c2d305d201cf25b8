import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Every test database starts with the real reference data (countries, SDGs, themes...)."""
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)
