"""Upgrades: a database made by each earlier release (tests/data/releases/<version>/, made
by make_release_db.py with that release's own console) opens with this version, is migrated,
and keeps every record: the release's own JSON export is found whole in this version's
export, and every row of every table it had keeps its values. A database from a newer version
is refused (the check of storage/db.py, tested at length in tests/core/test_operator.py):
here, through `console` and `restore` on a release's database marked as newer."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import bot
from storage.migrations import MIGRATIONS
from tests.core.conftest import run_cli

RELEASES = Path(__file__).resolve().parents[1] / "data" / "releases"
VERSIONS = sorted(p.name for p in RELEASES.iterdir() if (p / "chambre.db").exists())
# What held a cache, not a record: 0.1.0's export cache (0005), which 0006 removed.
CACHES = {"export"}  # columns
# The meetings to organise of the group's page, which an upgraded database gets too (none of
# the kept releases has a meeting of those titles).
SEEDED_MEETINGS = 7


def cache_row(table: str, row: dict) -> bool:
    return table == "backend_state" and row["backend"] == "export"  # the zone the cache was written in


def test_every_release_up_to_this_one_left_its_database():
    assert "0.1.0" in VERSIONS
    for version in VERSIONS:
        assert (RELEASES / version / "export.json").exists(), version


def contained(old, new, where: str = "") -> list[str]:
    """Where `old` is not found in `new`: every key and value of old kept (new may add keys)."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{where}: was an object"]
        return [p for key, value in old.items()
                for p in (contained(value, new[key], f"{where}.{key}") if key in new else [f"{where}.{key}: gone"])]
    if isinstance(old, list):
        if not isinstance(new, list) or len(old) != len(new):
            return [f"{where}: {len(old)} items, now {len(new) if isinstance(new, list) else 'not a list'}"]
        return [p for i, (a, b) in enumerate(zip(old, new)) for p in contained(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where}: {old!r} became {new!r}"]


def rows(db: Path) -> dict[str, list[dict]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')] for t in tables}
    finally:
        conn.close()


@pytest.fixture(params=VERSIONS)
def release_db(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """A copy of that release's database (the kept one is never opened: opening migrates)."""
    copy = tmp_path / "chambre.db"
    shutil.copy2(RELEASES / request.param / "chambre.db", copy)
    return request.param, copy


def test_a_release_database_opens_migrates_and_keeps_every_record(release_db: tuple[str, Path]):
    version, db = release_db
    before = rows(db)
    old_export = json.loads((RELEASES / version / "export.json").read_text(encoding="utf-8"))

    new_export = json.loads(run_cli("export", "--db", str(db)).stdout)
    # The group's page's meetings to organise (0011_seed_meetings) come after the release's own.
    seeded = [m for m in new_export["meetings"] if m.get("source") == "seed"]
    assert new_export["meetings"][-len(seeded):] == seeded and len(seeded) == SEEDED_MEETINGS
    new_export["meetings"] = new_export["meetings"][:-len(seeded)]
    assert contained(old_export, new_export) == []

    after = rows(db)
    applied = [r["name"] for r in after["_sqlite_migrations"] if r["migration_set"] == "chambre"]
    assert applied == [m.name for m in MIGRATIONS._migrations]  # every migration of this version, in order
    for table, old_rows in before.items():
        if table == "_sqlite_migrations":
            continue
        assert table in after, f"table {table} is gone"
        # Every row and every value of the old columns, in the same order; not the export
        # cache (a copy of the records' JSON: the records it copied are compared above).
        columns = [k for k in (old_rows[0] if old_rows else {}) if k not in CACHES]
        records = [row for row in old_rows if not cache_row(table, row)]
        now = after[table]
        if table == "meetings":  # and the seeded ones after them
            assert [row["source"] for row in now[len(old_rows):]] == ["seed"] * SEEDED_MEETINGS
            now = now[:len(old_rows)]
        kept = [{k: row[k] for k in columns} for row in now]
        assert kept == [{k: row[k] for k in columns} for row in records], f"table {table} changed"


def test_a_release_database_is_used_as_before(release_db: tuple[str, Path]):
    _, db = release_db
    proc = run_cli("console", "--db", str(db), "--now", "2026-11-10T10:00", "--user", "alice",
                   stdin="!réunion voir 1\n!permanence voir 1\n!brique voir cantine\n!odj liste\n"
                         "!réunion proposer jeudi 18h ; Après la mise à jour\n")
    out = proc.stdout
    assert "Atelier briques" in out and "• oui : alice\n• peut-être : bob\n" in out
    assert "Permanence des communs" in out and "tenue par bob" in out
    assert "Camille" in out and "https://pad.example.org/cantine" in out
    assert "Budget 2027" in out and "Un point de Bob" in out and "Trouver une salle" not in out
    # numbering goes on after the old records and the seven seeded after them
    assert "Réunion n°14 proposée : Après la mise à jour" in out


def test_a_database_from_a_newer_release_is_refused(release_db: tuple[str, Path], tmp_path: Path):
    _, db = release_db
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES "
                     "('chambre', '9999_from_the_future', '2099-01-01')")
    conn.close()
    before = rows(db)
    proc = run_cli("console", "--db", str(db), stdin="!odj ajouter refusé\n", check=False)
    assert proc.returncode == 1
    assert "written by a newer chambre-bot" in proc.stderr and "9999_from_the_future" in proc.stderr
    restored = run_cli("restore", "--db", str(tmp_path / "new" / "chambre.db"), str(db), check=False)
    assert restored.returncode == 1 and "upgrade this one first" in restored.stderr
    assert rows(db) == before and not (tmp_path / "new" / "chambre.db").exists()


def test_this_version_is_later_than_every_kept_release():
    from packaging.version import Version

    assert all(Version(bot.__version__) > Version(v) for v in VERSIONS), (bot.__version__, VERSIONS)
