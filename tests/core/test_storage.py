"""Storage: named migrations, each in one transaction with its record; a fresh database and an
upgrade from every earlier schema keep the data; WAL and foreign keys; the seeded bricks."""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.config import Config
from bot.export import export_json
from storage.db import DatabaseThread, connect
from storage.migrations import MIGRATIONS
from storage.store import Store

NAMES = [m.name for m in MIGRATIONS._migrations]
AT = "2026-11-30T17:00:00+00:00"


def raw(path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(sqlite3.connect(str(path)))


def schema(db: sqlite_utils.Database) -> list[tuple]:
    return sorted(db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall())


def rows(db: sqlite_utils.Database) -> dict[str, int]:
    return {t: db.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in db.table_names()}


def applied(db: sqlite_utils.Database) -> list[str]:
    return [m.name for m in MIGRATIONS.applied(db)]


def test_migrations_are_named_and_ordered():
    assert NAMES[:8] == ["0001_records", "0002_delivery", "0003_posts", "0004_seed_bricks", "0005_export_cache",
                         "0006_drop_export_cache", "0007_pledges", "0008_web_feed"]
    assert NAMES == sorted(NAMES) and len(set(NAMES)) == len(NAMES)
    assert all(m.transactional for m in MIGRATIONS._migrations)


def test_fresh_database_wal_foreign_keys(tmp_path: Path):
    db = connect(tmp_path / "fresh.db")
    try:
        assert applied(db) == NAMES
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            with db.atomic():
                db.execute("INSERT INTO rsvps (meeting_id, person, answer, at) VALUES (999, 'x', 'yes', ?)", [AT])
        with pytest.raises(sqlite3.IntegrityError):
            with db.atomic():
                db.execute("INSERT INTO brick_history (brick_id, at, by, change) VALUES (999, ?, 'x', 'note')", [AT])
    finally:
        db.close()
    again = connect(tmp_path / "fresh.db")  # reopening applies nothing twice
    try:
        assert applied(again) == NAMES
        assert again.execute("SELECT count(*) FROM bricks").fetchone()[0] == 12
    finally:
        again.close()


def test_seeded_bricks(tmp_path: Path):
    db = connect(tmp_path / "seed.db")
    try:
        bricks = Store(db).bricks(full=True)
    finally:
        db.close()
    by_cat = {c: [b for b in bricks if b.category == c] for c in ("brick", "infrastructure", "topic")}
    assert len(by_cat["brick"]) == 9
    assert [b.name for b in by_cat["infrastructure"]] == ["CAE (Coopérative d'activités et d'emploi)"]
    topics = [b.name.lower() for b in by_cat["topic"]]
    assert len(topics) == 2 and "monnaie" in topics[0] and "trajectoires" in topics[1]
    legal = next(b for b in bricks if b.name.startswith("Services légaux"))
    finance = next(b for b in bricks if b.name.startswith("Services financiers"))
    assert legal.status == "exists" and finance.status != "exists"
    assert [l.url for l in legal.links] == ["http://legalserviceforcommons.initiative.place/"]
    assert all(len(b.history) == 1 and b.history[0].change == "created" and b.history[0].status == b.status for b in bricks)
    assert [b.id for b in bricks] == list(range(1, 13))


# ---- upgrades from every earlier schema ---------------------------------------------------

def insert_representative_rows(db: sqlite_utils.Database) -> None:
    """What an install at this schema would hold, for every table it has."""
    tables = set(db.table_names())
    with db.atomic():
        if "meetings" in tables and "source" in db["meetings"].columns_dict:
            # The group's page's meetings are seeded already: the install's own come first.
            db.execute("UPDATE meetings SET id = id + 100 WHERE source = 'seed'")
        if "meetings" in tables:
            db.execute('INSERT INTO meetings (id, title, start, "end", all_day, place, status, proposed_by, room, created_at, updated_at)'
                       " VALUES (1, 'Atelier', '2026-12-04T18:00:00+00:00', NULL, 0, 'MESHS', 'confirmed', '@a:x', '!r:x', ?, ?)", [AT, AT])
            db.execute('INSERT INTO meetings (id, title, start, "end", all_day, place, status, proposed_by, room, created_at, updated_at)'
                       " VALUES (2, 'Journée', '2026-12-05', NULL, 1, NULL, 'proposed', '@b:x', '!r:x', ?, ?)", [AT, AT])
            db.execute("INSERT INTO rsvps VALUES (1, '@b:x', 'maybe', ?)", [AT])
            db.execute("INSERT INTO permanences (id, title, place, rrule, dtstart, tz, duration_minutes, active, created_by, room, created_at)"
                       " VALUES (1, 'Perm', 'Tiers-lieu', 'FREQ=WEEKLY;BYDAY=TU', '2026-12-01T17:00:00+01:00', 'Europe/Paris', 120, 1, '@a:x', '!r:x', ?)", [AT])
            db.execute("INSERT INTO permanence_hosts VALUES (1, '2026-12-08T16:00:00+00:00', '@b:x', ?)", [AT])
            db.execute("INSERT INTO permanence_cancellations VALUES (1, '2026-12-15T16:00:00+00:00', '@a:x', ?)", [AT])
            brick = db.execute("INSERT INTO bricks (name, category, status, description, lead, created_at, updated_at)"
                               " VALUES ('Cantine des communs', 'brick', 'recipe', 'Une cantine', 'Camille', ?, ?)", [AT, AT]).lastrowid
            db.execute("INSERT INTO brick_links (brick_id, url, label, added_by, at) VALUES (?, 'https://pad.example.org', 'pad', '@a:x', ?)", [brick, AT])
            db.execute("INSERT INTO brick_history (brick_id, at, by, change, status, note) VALUES (?, ?, '@a:x', 'status', 'recipe', 'prête')", [brick, AT])
            db.execute("INSERT INTO topics (text, added_by, room, created_at) VALUES ('Salle pour janvier', '@a:x', '!r:x', ?)", [AT])
            db.execute("INSERT INTO rhythm (id, rrule, dtstart, tz, duration_minutes, place, text, set_by, set_at)"
                       " VALUES (1, 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TH', '2026-12-03T18:00:00+01:00', 'Europe/Paris',"
                       " 120, 'MESHS', 'un jeudi sur deux à 18h', '@a:x', ?)", [AT])
            db.execute("INSERT INTO journal (at, kind, record_id, by, data) VALUES (?, 'meeting.proposed', 1, '@a:x', '{\"title\": \"Atelier\"}')", [AT])
        if "handled_events" in tables:
            db.execute("INSERT INTO handled_events VALUES ('matrix', '$ev1', ?)", [AT])
            db.execute("INSERT INTO outbox (send_key, backend, room, body, created_at) VALUES ('cbkey', 'matrix', '!r:x', '[]', ?)", [AT])
            db.execute("INSERT INTO backend_state VALUES ('matrix', 'since', 's123')")
        if "posts" in tables:
            db.execute("INSERT INTO posts VALUES ('digest:2026-11-30', 'digest', ?, ?, 'posted')", [AT, AT])
        if "pledges" in tables:
            db.execute("INSERT INTO pledges (person, room, amount_cents, currency, months, brick_id, visibility, started_at,"
                       " since, ends_at, tz, lang) VALUES ('@a:x', '!r:x', 3745, 'EUR', 12, NULL, 'anonymous', ?, ?,"
                       " '2027-11-30T23:00:00+00:00', 'Europe/Paris', 'fr')", [AT, AT])
        if "meetings" in tables and "export" in db["meetings"].columns_dict:  # 0005's export cache, filled
            db.execute("""UPDATE meetings SET export = '{"id": 1}'""")
            db.execute("""UPDATE bricks SET export = '{"id": 1}'""")
            db.execute("INSERT INTO backend_state VALUES ('export', 'zone', 'Europe/Paris')")


def check_survived(db: sqlite_utils.Database, stopped_before: str) -> None:
    done = NAMES[:NAMES.index(stopped_before)]
    store = Store(db)
    if "0001_records" in done:
        m1, m2, *seeded = store.meetings_by_number()
        # the group's page's meetings to organise arrive after the install's own
        assert len(seeded) == 7 and all(m.start is None and m.source == "seed" for m in seeded)
        assert (m1.title, m1.start, m1.place, m1.status, m1.rsvp["maybe"]) == (
            "Atelier", datetime(2026, 12, 4, 18, tzinfo=timezone.utc), "MESHS", "confirmed", ["@b:x"])
        assert (m2.start, m2.status) == (date(2026, 12, 5), "proposed")
        (perm,) = store.permanences()
        assert perm.cancelled == [datetime(2026, 12, 15, 16, tzinfo=timezone.utc)]
        assert perm.hosts == {datetime(2026, 12, 8, 16, tzinfo=timezone.utc): ["@b:x"]}
        cantine = store.brick(next(i for i, name in store.brick_names() if name == "Cantine des communs"))
        assert (cantine.name, cantine.status, cantine.lead) == ("Cantine des communs", "recipe", "Camille")
        assert [h.note for h in cantine.history] == ["prête"] and cantine.links[0].url == "https://pad.example.org"
        assert [t.text for t in store.topics()] == ["Salle pour janvier"]
        assert store.rhythm().text == "un jeudi sur deux à 18h"
        assert len(store.journal(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc))) == 1
        # the seed still arrives, after the group's own bricks
        assert len(store.brick_names()) == 13
    if "0002_delivery" in done:
        assert store.was_handled("matrix", "$ev1")
        assert [r["send_key"] for r in store.pending("matrix")] == ["cbkey"]
        assert store.state_get("matrix", "since") == "s123"
    if "0003_posts" in done:
        assert store.post_done("digest:2026-11-30")
    if "0007_pledges" in done:
        (pledge,) = store.pledges()
        assert (pledge.person, pledge.amount_cents, pledge.visibility, pledge.reminders) == ("@a:x", 3745, "anonymous", True)
    # 0005's export cache is gone, its triggers and the zone it was written in too
    assert "export" not in db["meetings"].columns_dict and "export" not in db["bricks"].columns_dict
    assert export_triggers(db) == []
    assert store.state_get("export", "zone") is None
    exported = export_json(store, Config())  # everything still reads
    if "0001_records" in done:
        assert exported["meetings"][0]["start"] == "2026-12-04T19:00:00+01:00"
        assert exported["meetings"][0]["rsvp"] == {"yes": [], "no": [], "maybe": ["@b:x"]}
        assert exported["meetings"][0]["source"] == "command"
    check_web_feed(db, "0001_records" in done)


def export_triggers(db: sqlite_utils.Database) -> list[str]:
    return [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'") if "export" in name]


def check_web_feed(db: sqlite_utils.Database, has_records: bool) -> None:
    """0008's revision and sequences work on what was there before: the records start at
    SEQUENCE 0, and a move raises the meeting's SEQUENCE and the records' revision."""
    store = Store(db)
    revision, _ = store.records_revision()
    if not has_records:
        return
    assert [m.sequence for m in store.meetings_by_number()] == [0] * 9 and store.rhythm().sequence == 0  # 7 seeded
    with db.atomic():
        store.update_meeting(1, datetime(2026, 12, 1, tzinfo=timezone.utc),
                             start=datetime(2026, 12, 11, 18, tzinfo=timezone.utc), end=None)
    assert store.meeting(1).sequence == 1 and store.records_revision()[0] > revision


@pytest.mark.parametrize("stop_before", NAMES)
def test_upgrade_from_every_earlier_schema(tmp_path: Path, stop_before: str):
    path = tmp_path / "old.db"
    old = raw(path)
    MIGRATIONS.apply(old, stop_before=stop_before)
    assert applied(old) == NAMES[:NAMES.index(stop_before)]
    insert_representative_rows(old)
    old.close()
    db = connect(path)  # what the bot does when it starts
    try:
        assert applied(db) == NAMES
        check_survived(db, stop_before)
        fresh = connect(tmp_path / "fresh.db")
        try:
            assert schema(db) == schema(fresh)
        finally:
            fresh.close()
    finally:
        db.close()


def test_upgrade_to_the_seed_with_a_brick_of_the_same_name(tmp_path: Path):
    """A database that already has a seeded brick's name keeps its own and gets the others."""
    path = tmp_path / "old.db"
    old = raw(path)
    MIGRATIONS.apply(old, stop_before="0004_seed_bricks")
    with old.atomic():
        old.execute("INSERT INTO bricks (name, category, status, created_at, updated_at) VALUES ('La Monnaie', 'topic', 'described', ?, ?)", [AT, AT])
    old.close()
    db = connect(path)
    try:
        names = [name for _, name in Store(db).brick_names()]
        assert names[0] == "La Monnaie" and len(names) == 12
        assert Store(db).brick(1).status == "described"
    finally:
        db.close()


def test_seeded_meetings_to_organise(tmp_path: Path):
    """The group's page's "rencontres à organiser", as meetings without a date, numbered first."""
    db = connect(tmp_path / "seed.db")
    try:
        meetings = Store(db).meetings_to_organise()
    finally:
        db.close()
    assert [m.id for m in meetings] == list(range(1, 8))
    names = " ".join(m.title for m in meetings)
    for org in ("Pocheco / Ouvert", "OVH", "Cigales", "Entreprendre autrement", "BGE", "LMI", "CCI"):
        assert org in names
    assert all((m.start, m.status, m.proposed_by, m.source) == (None, "proposed", "chambre-bot", "seed")
               for m in meetings)


def test_upgrade_to_the_seed_with_a_meeting_of_the_same_title(tmp_path: Path):
    """An install that already has one of the page's meetings (same title, any case) keeps
    its own, and gets the others after its records."""
    path = tmp_path / "old.db"
    old = raw(path)
    MIGRATIONS.apply(old, stop_before="0011_seed_meetings")
    with old.atomic():
        old.execute('INSERT INTO meetings (title, start, "end", all_day, place, status, proposed_by, room, created_at, updated_at)'
                    " VALUES ('rencontre cigales', '2026-12-04T18:00:00+00:00', NULL, 0, 'MESHS', 'confirmed', '@a:x', '!r:x', ?, ?)",
                    [AT, AT])
    old.close()
    db = connect(path)
    try:
        meetings = Store(db).meetings_by_number()
        assert (meetings[0].title, meetings[0].status, meetings[0].source) == ("rencontre cigales", "confirmed", None)
        assert len(meetings) == 7 and not any(m.title == "Rencontre Cigales" for m in meetings)
    finally:
        db.close()


@pytest.mark.parametrize("name", NAMES)
def test_a_failing_migration_leaves_the_previous_schema(tmp_path: Path, name: str):
    """Each migration runs in one transaction with its record: a crash in it changes nothing."""
    path = tmp_path / "crash.db"
    db = raw(path)
    MIGRATIONS.apply(db, stop_before=name)
    insert_representative_rows(db)
    before = schema(db), rows(db)
    real = next(m for m in MIGRATIONS._migrations if m.name == name)
    crashing = Migrations("chambre")

    def crash(d):
        real.fn(d)
        raise RuntimeError("power cut")

    crashing(name=name)(crash)
    with pytest.raises(RuntimeError):
        crashing.apply(db)
    assert (schema(db), rows(db)) == before
    assert name not in applied(db)
    db.close()
    upgraded = connect(path)  # and the next start applies it for real
    try:
        assert applied(upgraded) == NAMES
    finally:
        upgraded.close()


def test_a_snapshot_reads_one_state_while_another_process_writes(tmp_path: Path):
    """What `chambre-bot export` reads in: the bot beside it is not held up, and the export
    does not mix two states."""
    reader, writer = connect(tmp_path / "s.db"), connect(tmp_path / "s.db")
    now = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    try:
        with reader.snapshot():
            before = Store(reader).count_meetings()
            with writer.atomic():  # at once: a reader does not lock a WAL database
                Store(writer).add_meeting("Atelier", None, None, None, "alice", "!r", now)
            assert Store(reader).count_meetings() == before
        assert Store(reader).count_meetings() == before + 1
    finally:
        reader.close()
        writer.close()


async def test_database_thread_serves_the_event_loop(tmp_path: Path):
    database = DatabaseThread(tmp_path / "loop.db")
    await database.open()
    counts = await asyncio.gather(*[database.run(lambda d: d.execute("SELECT count(*) FROM bricks").fetchone()[0]) for _ in range(20)])
    assert counts == [12] * 20
    await asyncio.to_thread(database.close)


# ---- another process writing at the same time --------------------------------------------------

def test_a_transaction_waits_out_another_process_write(tmp_path: Path, monkeypatch, caplog):
    import threading
    import time

    import storage.db

    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT", 0.05)  # each wait short, so the retry shows
    path = tmp_path / "busy.db"
    connect(path).close()
    other = sqlite3.connect(path)  # another process, holding the write lock
    other.execute("BEGIN IMMEDIATE")
    done: list[int] = []

    def add_topic() -> None:
        db = connect(path)
        try:
            with db.atomic():
                done.append(db.execute("INSERT INTO topics (text, added_by, room, created_at) VALUES ('x', 'a', 'r', ?)",
                                       [AT]).lastrowid)
        finally:
            db.close()

    writer = threading.Thread(target=add_topic)
    writer.start()
    deadline = time.monotonic() + 30
    while sum("still waiting" in r.getMessage() for r in caplog.records) < 2:
        assert writer.is_alive() and time.monotonic() < deadline, (done, caplog.text)
        time.sleep(0.01)
    assert not done  # still waiting, retried
    other.rollback()  # the other process's write ends
    writer.join(30)
    assert done == [1]
    other.close()


def test_a_database_locked_for_too_long_is_an_error(tmp_path: Path, monkeypatch):
    import storage.db
    from storage.db import StorageError

    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT", 0.05)
    monkeypatch.setattr(storage.db, "LOCK_PATIENCE", 0.2)
    path = tmp_path / "stuck.db"
    db = connect(path)
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match="stayed locked by another process"):
            with db.atomic():
                pass
    finally:
        other.rollback()
        other.close()
    with db.atomic():  # usable again once the other lets go
        db.execute("INSERT INTO topics (text, added_by, room, created_at) VALUES ('x', 'a', 'r', ?)", [AT])
    db.close()


def test_an_sqlite_without_drop_column_keeps_the_export_columns_emptied(tmp_path: Path, monkeypatch):
    """SQLite before 3.35 cannot drop a column: 0006 leaves 0005's two columns, empty, and
    everything reads and writes as on a newer one."""
    path = tmp_path / "old-sqlite.db"
    old = raw(path)
    MIGRATIONS.apply(old, stop_before="0006_drop_export_cache")
    insert_representative_rows(old)
    old.close()
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    db = connect(path)
    try:
        assert applied(db) == NAMES
        assert db.execute("SELECT count(*) FROM meetings WHERE export IS NOT NULL").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM bricks WHERE export IS NOT NULL").fetchone()[0] == 0
        assert export_triggers(db) == []
        check_web_feed(db, has_records=True)
        store = Store(db)
        with db.atomic():
            store.set_rsvp(1, "@c:x", "yes", datetime(2026, 12, 1, tzinfo=timezone.utc))
        assert export_json(store, Config())["meetings"][0]["rsvp"]["yes"] == ["@c:x"]
    finally:
        db.close()
