"""The JSON export built in Python from the store's records writes the same text as the one
SQLite built (storage/export_sql.py), on a database with every kind of record and text."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bench.bench_core import fill
from bot.config import ChambreConfig, Config
from bot.export import export_json_text
from bot.services import permanences as permanence_svc
from storage.db import connect
from storage.store import Store, iso

AT = "2026-11-30T17:00:00+00:00"
# Text as members may write it: quotes, backslashes, controls, accents, emoji, other scripts.
TEXTS = ['Atelier "briques" \\ n°1', "ligne\nautre\tcolonne\r", "\x01\x1f\x7f", "é è ê ß Œ", "😀 🧱 𝄞",
         "\u2028\u2029\u200b\u202e", "مرحبا שלום", "", "</script><b>", "a" * 3000]
PEOPLE = ["@zoé:example.org", "@alice:example.org", "Émile", "bob", "😀", "_x", "Zed", "@ZOE:example.org"]


def sql_export_text(store: Store, config: Config) -> str:
    """The export as it was built before (bot/export.py at the parent commit)."""
    from storage.export_sql import records_json

    parts = records_json(store.db, config.chambre.timezone)
    permanences = []
    for p in store.permanences():
        perm_tz = permanence_svc.recurrence_of(p).dtstart.tzinfo
        permanences.append({
            "id": p.id, "title": p.title, "rrule": p.rrule, "dtstart": p.dtstart.isoformat(),
            "duration_minutes": p.duration_minutes, "place": p.place, "active": p.active,
            "cancelled": [c.astimezone(perm_tz).isoformat() for c in p.cancelled],
            "hosts": {occ.astimezone(perm_tz).isoformat(): people for occ, people in sorted(p.hosts.items())},
        })
    return (f'{{"version": 1, "meetings": {parts["meetings"]}, '
            f'"permanences": {json.dumps(permanences, ensure_ascii=False)}, '
            f'"bricks": {parts["bricks"]}, "topics": {parts["topics"]}}}')


def rich(db) -> None:
    """Every kind of record and text the export shows, around the changes of time."""
    instants = [
        datetime(2027, 3, 28, 0, 59, 59, tzinfo=timezone.utc), datetime(2027, 3, 28, 1, 0, tzinfo=timezone.utc),
        datetime(2027, 10, 31, 0, 59, 59, 999999, tzinfo=timezone.utc), datetime(2027, 10, 31, 1, 0, tzinfo=timezone.utc),
        datetime(2026, 12, 31, 23, 30, 15, 123456, tzinfo=timezone.utc), datetime(1999, 1, 1, tzinfo=timezone.utc),
        datetime(2040, 7, 1, 12, tzinfo=timezone.utc), datetime(2036, 6, 30, 23, 59, 59, tzinfo=timezone.utc),
    ]
    with db.atomic():
        for k, text in enumerate(TEXTS):
            start = instants[k % len(instants)]
            db.execute('INSERT INTO meetings (title, start, "end", all_day, place, status, proposed_by, room, created_at,'
                       " updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                       [text, iso(start), iso(start + timedelta(hours=k)) if k % 2 else None, text or None,
                        ("proposed", "confirmed", "cancelled")[k % 3], PEOPLE[k % len(PEOPLE)], text, AT, AT])
        db.execute('INSERT INTO meetings (title, start, "end", all_day, status, proposed_by, room, created_at, updated_at)'
                   " VALUES ('Journée', '2027-03-28', NULL, 1, 'confirmed', 'alice', '!r', ?, ?)", [AT, AT])
        db.execute('INSERT INTO meetings (title, start, "end", all_day, status, proposed_by, room, created_at, updated_at)'
                   " VALUES ('À organiser', NULL, NULL, 0, 'proposed', 'alice', '!r', ?, ?)", [AT, AT])
        for k, person in enumerate(PEOPLE):  # answered in another order than their names'
            for meeting in (1, 2, len(TEXTS) + 1):
                db.execute("INSERT INTO rsvps VALUES (?, ?, ?, ?)",
                           [meeting, person, ("yes", "no", "maybe")[(k + meeting) % 3], f"2026-11-{30 - k:02d}T10:00:00+00:00"])
        for k, text in enumerate(TEXTS):
            brick = db.execute("INSERT INTO bricks (name, category, status, description, lead, created_at, updated_at)"
                               " VALUES (?, 'topic', 'paused', ?, ?, ?, ?)",
                               [f"{k} {text}", text, PEOPLE[k % len(PEOPLE)] if k % 2 else None, AT, AT]).lastrowid
            for j in range(k % 3):
                db.execute("INSERT INTO brick_links (brick_id, url, label, added_by, at) VALUES (?, ?, ?, 'a', ?)",
                           [brick, f"https://example.org/{j}?q=\"{text[:10]}\"", text or None, AT])
            for j, at in enumerate(instants[: k % 4]):
                db.execute("INSERT INTO brick_history (brick_id, at, by, change, status, note) VALUES (?, ?, ?, 'note', ?, ?)",
                           [brick, iso(at), PEOPLE[j], None if j % 2 else "idea", text if j % 2 else None])
            db.execute("INSERT INTO topics (text, added_by, room, created_at, done) VALUES (?, ?, '!r', ?, ?)",
                       [text, PEOPLE[k % len(PEOPLE)], AT, k % 2])
        store = Store(db)
        perm = store.add_permanence("Perm\n\"2\"", None, "FREQ=WEEKLY;BYDAY=SU", datetime(2027, 3, 21, 2, 30,
                                    tzinfo=timezone(timedelta(hours=1))), "Europe/Paris", None, "alice", "!r",
                                    datetime(2026, 11, 30, tzinfo=timezone.utc))
        store.add_host(perm.id, datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc), "😀", datetime(2026, 11, 30, tzinfo=timezone.utc))
        store.cancel_occurrence(perm.id, datetime(2027, 4, 4, 0, 30, tzinfo=timezone.utc), "alice",
                                datetime(2026, 11, 30, tzinfo=timezone.utc))
        store.end_permanence(perm.id, datetime(2026, 12, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Montreal", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"])
@pytest.mark.parametrize("shape", ["years", "stress"])
def test_the_plain_export_writes_what_sqlite_wrote(tmp_path: Path, zone: str, shape: str) -> None:
    db = connect(tmp_path / "rich.db")
    try:
        fill(db, 1500, 60, 20, shape)
        rich(db)
        store = Store(db)
        config = Config(chambre=replace(ChambreConfig(), timezone=zone))
        with db.atomic():
            old = sql_export_text(store, config)
        new = export_json_text(store, config)
        assert json.loads(new) == json.loads(old)
        assert new == old
        assert len(json.loads(new)["meetings"]) == 1500 + len(TEXTS) + 2
    finally:
        db.close()


def test_an_empty_database_too(tmp_path: Path) -> None:
    db = connect(tmp_path / "empty.db")
    try:
        with db.atomic():
            db.execute("DELETE FROM brick_history")
            db.execute("DELETE FROM brick_links")
            db.execute("DELETE FROM bricks")
        store = Store(db)
        with db.atomic():
            old = sql_export_text(store, Config())
        assert export_json_text(store, Config()) == old == \
            '{"version": 1, "meetings": [], "permanences": [], "bricks": [], "topics": []}'
    finally:
        db.close()


def test_a_seeded_database(tmp_path: Path) -> None:
    db = connect(tmp_path / "seed.db")
    try:
        store = Store(db)
        with db.atomic():
            old = sql_export_text(store, Config())
        assert export_json_text(store, Config()) == old
        assert date.fromisoformat(json.loads(old)["bricks"][0]["history"][0]["at"][:10])
    finally:
        db.close()
