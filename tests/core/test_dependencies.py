"""The declared dependencies admit only versions that have what the code uses."""
from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def requirement(name: str) -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (found,) = [r for r in map(Requirement, project["dependencies"]) if r.name == name]
    return found


def test_sqlite_utils_pin_admits_only_versions_with_migrations_and_atomic():
    allowed = requirement("sqlite-utils").specifier
    # 3.x (last: 3.39.1) has neither sqlite_utils.migrations nor Database.atomic(): 4.0 brought both.
    for old in ("3.36", "3.38", "3.39.1"):
        assert not allowed.contains(old), old
    assert allowed.contains("4.0") and allowed.contains(version("sqlite-utils"))
