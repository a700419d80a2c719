"""The type check is a gate: `make test` runs mypy (strict, pyproject.toml) on bot/, commands/
and storage/ before the suite. Here, code written against the real services is checked with
the project's own settings: a service called with a wrong type is reported, the same call
written right is not, and a new function without annotations is refused."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CALL = """\
from datetime import datetime, timezone

from bot.services import Actor
from bot.services import meetings
from storage.store import Store


def confirm_third(store: Store) -> None:
    meetings.confirm(store, Actor("alice", True), datetime.now(timezone.utc), {n})
"""


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    """mypy with the project's settings on one module written for the test (from the root, so
    that it imports the real bot/, commands/ and storage/, through the project's cache)."""
    module = tmp_path / "typed_example.py"
    module.write_text(source, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(module)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_a_wrong_argument_type_in_a_service_call_is_reported(tmp_path: Path) -> None:
    wrong = mypy(tmp_path, CALL.format(n='"3"'))  # the meeting's number as the text a member typed
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert 'typed_example.py:9: error: Argument 4 to "confirm" has incompatible type "str"; expected "int"' \
        in wrong.stdout, wrong.stdout
    right = mypy(tmp_path, CALL.format(n="3"))
    assert right.returncode == 0, right.stdout + right.stderr


def test_a_function_without_annotations_is_refused(tmp_path: Path) -> None:
    found = mypy(tmp_path, "from storage.store import Store\n\n\ndef titles(store):\n"
                           "    return [m.title for m in store.meetings_by_number()]\n")
    assert found.returncode == 1
    assert "typed_example.py:4: error: Function is missing a type annotation  [no-untyped-def]" in found.stdout, \
        found.stdout


def test_make_test_runs_the_type_check_before_the_suite() -> None:
    commands = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    lines = commands.splitlines()
    typecheck = [k for k, line in enumerate(lines) if line.endswith("/bin/mypy")]
    suite = [k for k, line in enumerate(lines) if "-m pytest" in line]
    assert typecheck and suite and typecheck[0] < suite[0], commands
