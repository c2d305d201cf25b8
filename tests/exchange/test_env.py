import pytest

from exchange.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str


def test_env_bool_reads_common_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True


def test_env_bool_fails_loudly_on_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG_FLAG", "ture")
    with pytest.raises(ImproperlyConfiguredEnv, match="DEBUG_FLAG must be one of"):
        env_bool("DEBUG_FLAG", False)


def test_env_int_fails_loudly_on_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfiguredEnv, match="EMAIL_PORT must be a whole number"):
        env_int("EMAIL_PORT", 25)
    monkeypatch.setenv("EMAIL_PORT", "587")
    assert env_int("EMAIL_PORT", 25) == 587


def test_env_str_without_default_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SECRET_KEY_FOR_TEST", raising=False)
    with pytest.raises(ImproperlyConfiguredEnv, match="SECRET_KEY_FOR_TEST"):
        env_str("SECRET_KEY_FOR_TEST")


def test_env_list_splits_and_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED", " a.org, b.org ,,")
    assert env_list("ALLOWED", []) == ["a.org", "b.org"]
