"""Every environment variable that exchange/settings.py reads is in the manual's settings
tables, and the tables name no variable it no longer reads."""

import ast
import re
from pathlib import Path

from tests.docs.conftest import DOCS, ROOT

READERS = {"env_str", "env_bool", "env_int", "env_list"}


def variables_read(settings_file: Path) -> set[str]:
    """The first argument of every call to one of exchange/env.py's readers."""
    names = set()
    for node in ast.walk(ast.parse(settings_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in READERS:
            argument = node.args[0]
            assert isinstance(argument, ast.Constant), ast.unparse(node)
            names.add(str(argument.value))
    return names


def variables_documented(page: Path) -> set[str]:
    """The variables in the first column of the page's tables."""
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", page.read_text(encoding="utf-8"), re.M))


def test_every_setting_read_from_the_environment_is_in_the_manual() -> None:
    read = variables_read(ROOT / "exchange" / "settings.py")
    documented = variables_documented(DOCS / "operations" / "settings.md")
    assert len(read) > 50  # the walk found the readers
    assert read - documented == set(), "add these to docs/operations/settings.md"
    assert documented - read == set(), "exchange/settings.py no longer reads these"


def test_a_new_setting_without_its_line_in_the_manual_is_caught(tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.py"
    settings_file.write_text(
        (ROOT / "exchange" / "settings.py").read_text(encoding="utf-8")
        + '\nNEW_THING = env_int(\n    "NEW_THING_SECONDS", 5\n)\n',
        encoding="utf-8",
    )
    documented = variables_documented(DOCS / "operations" / "settings.md")
    assert variables_read(settings_file) - documented == {"NEW_THING_SECONDS"}
