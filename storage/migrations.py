"""Named schema migrations. Each runs in one transaction together with its record
(sqlite-utils' Migrations), so a crash mid-upgrade leaves the old schema intact; storage/db.py
applies the pending ones under one write lock, so an upgrade is all or nothing, and refuses a
database that has migrations this version does not know. Never edit a migration that has
shipped: add a new one.

Instants are stored as ISO 8601 text in UTC; the zone a record was read in is kept beside it
where local time matters (permanences and the rhythm are expanded in local time).
"""
from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("chambre")


@MIGRATIONS(name="0001_records")
def records(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            start TEXT,            -- UTC ISO instant, or a date YYYY-MM-DD (all_day), or NULL: to organise
            "end" TEXT,
            all_day INTEGER NOT NULL DEFAULT 0,
            place TEXT,
            status TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'cancelled')),
            proposed_by TEXT NOT NULL,
            room TEXT NOT NULL,
            cancel_reason TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX meetings_start ON meetings(start);
        CREATE TABLE rsvps (
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            person TEXT NOT NULL,
            answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'maybe')),
            at TEXT NOT NULL,
            PRIMARY KEY (meeting_id, person)
        );
        CREATE TABLE permanences (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            place TEXT,
            rrule TEXT NOT NULL,
            dtstart TEXT NOT NULL,  -- local ISO with offset: the first occurrence
            tz TEXT NOT NULL,
            duration_minutes INTEGER,
            active INTEGER NOT NULL DEFAULT 1,
            created_by TEXT NOT NULL,
            room TEXT NOT NULL,
            created_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE TABLE permanence_hosts (
            permanence_id INTEGER NOT NULL REFERENCES permanences(id),
            occurrence TEXT NOT NULL,  -- local ISO start of the occurrence
            person TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (permanence_id, occurrence, person)
        );
        CREATE TABLE permanence_cancellations (
            permanence_id INTEGER NOT NULL REFERENCES permanences(id),
            occurrence TEXT NOT NULL,
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (permanence_id, occurrence)
        );
        CREATE TABLE bricks (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            category TEXT NOT NULL CHECK (category IN ('brick', 'infrastructure', 'topic')),
            status TEXT NOT NULL CHECK (status IN ('idea', 'described', 'recipe', 'building', 'exists', 'paused', 'dropped')),
            description TEXT NOT NULL DEFAULT '',
            lead TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE brick_links (
            id INTEGER PRIMARY KEY,
            brick_id INTEGER NOT NULL REFERENCES bricks(id),
            url TEXT NOT NULL,
            label TEXT,
            added_by TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE TABLE brick_history (
            id INTEGER PRIMARY KEY,
            brick_id INTEGER NOT NULL REFERENCES bricks(id),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            change TEXT NOT NULL,   -- created, status, description, note, link, lead
            status TEXT,            -- the status after the change
            note TEXT
        );
        CREATE INDEX brick_history_brick ON brick_history(brick_id, id);
        CREATE TABLE topics (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            added_by TEXT NOT NULL,
            room TEXT NOT NULL,
            created_at TEXT NOT NULL,
            done INTEGER NOT NULL DEFAULT 0,
            done_by TEXT,
            done_at TEXT
        );
        CREATE TABLE rhythm (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            rrule TEXT NOT NULL,
            dtstart TEXT NOT NULL,
            tz TEXT NOT NULL,
            duration_minutes INTEGER,
            place TEXT,
            text TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL
        );
        -- What happened, for the digest and the agenda ("bricks that moved since...").
        CREATE TABLE journal (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            record_id INTEGER,
            by TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX journal_at ON journal(at);
        """
    )


@MIGRATIONS(name="0002_delivery")
def delivery(db: Database) -> None:
    db.executescript(
        """
        -- Incoming events already handled: a redelivered command is not applied twice.
        CREATE TABLE handled_events (
            backend TEXT NOT NULL,
            event_id TEXT NOT NULL,
            handled_at TEXT NOT NULL,
            PRIMARY KEY (backend, event_id)
        );
        -- Messages to send, written in the same transaction as the change they report.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            send_key TEXT NOT NULL UNIQUE,
            backend TEXT NOT NULL,
            room TEXT,
            dm_user TEXT,
            reply_to TEXT,
            thread TEXT,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX outbox_pending ON outbox(backend, id) WHERE sent_at IS NULL;
        CREATE TABLE backend_state (
            backend TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (backend, key)
        );
        """
    )


@MIGRATIONS(name="0003_posts")
def posts(db: Database) -> None:
    db.executescript(
        """
        -- Scheduled posts by name (kind, occurrence, room): each is posted or skipped once.
        CREATE TABLE posts (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            due_at TEXT NOT NULL,
            done_at TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('posted', 'late', 'skipped'))
        );
        """
    )


SEED_AUTHOR = "chambre-bot"


@MIGRATIONS(name="0004_seed_bricks")
def seed_bricks(db: Database) -> None:
    """The bricks of the group's own page, loaded once on a fresh install."""
    import json
    from datetime import datetime, timezone
    from importlib.resources import files

    # The history says when this install loaded the group's page, not a made-up date.
    seeded_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    seed = json.loads(files("storage").joinpath("seed/bricks.json").read_text(encoding="utf-8"))
    existing = {row[0].casefold() for row in db.execute("SELECT name FROM bricks").fetchall()}
    for brick in seed["bricks"]:
        if brick["name"].casefold() in existing:
            continue  # a database that already has this brick keeps its own
        cur = db.execute(
            "INSERT INTO bricks (name, category, status, description, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [brick["name"], brick["category"], brick["status"], brick["description"], seeded_at, seeded_at],
        )
        brick_id = cur.lastrowid
        for link in brick["links"]:
            db.execute(
                "INSERT INTO brick_links (brick_id, url, label, added_by, at) VALUES (?, ?, ?, ?, ?)",
                [brick_id, link["url"], link["label"], SEED_AUTHOR, seeded_at],
            )
        db.execute(
            "INSERT INTO brick_history (brick_id, at, by, change, status, note) VALUES (?, ?, ?, 'created', ?, ?)",
            [brick_id, seeded_at, SEED_AUTHOR, brick["status"], "d'après la page de la Chambre (" + seed["source"] + ")"],
        )


@MIGRATIONS(name="0005_export_cache")
def export_cache(db: Database) -> None:
    """Each meeting's and brick's JSON export text, kept until the record changes.

    A 10,000-meeting export rebuilt from scratch costs over 100 ms of SQLite work here; with
    this cache it is one concatenation. Triggers clear a record's text whenever anything it
    shows changes, whatever code path made the change, so a stale text cannot be exported.
    Dropped again by 0006: the export is built in Python."""
    db.executescript(
        """
        ALTER TABLE meetings ADD COLUMN export TEXT;
        ALTER TABLE bricks ADD COLUMN export TEXT;
        CREATE TRIGGER meetings_export_stale AFTER UPDATE OF title, start, "end", all_day, place, status,
            proposed_by, room ON meetings
        BEGIN UPDATE meetings SET export = NULL WHERE id = NEW.id; END;
        CREATE TRIGGER rsvps_export_insert AFTER INSERT ON rsvps
        BEGIN UPDATE meetings SET export = NULL WHERE id = NEW.meeting_id; END;
        CREATE TRIGGER rsvps_export_update AFTER UPDATE ON rsvps
        BEGIN UPDATE meetings SET export = NULL WHERE id IN (OLD.meeting_id, NEW.meeting_id); END;
        CREATE TRIGGER rsvps_export_delete AFTER DELETE ON rsvps
        BEGIN UPDATE meetings SET export = NULL WHERE id = OLD.meeting_id; END;
        CREATE TRIGGER bricks_export_stale AFTER UPDATE OF name, category, status, description, lead ON bricks
        BEGIN UPDATE bricks SET export = NULL WHERE id = NEW.id; END;
        CREATE TRIGGER brick_links_export_insert AFTER INSERT ON brick_links
        BEGIN UPDATE bricks SET export = NULL WHERE id = NEW.brick_id; END;
        CREATE TRIGGER brick_links_export_update AFTER UPDATE ON brick_links
        BEGIN UPDATE bricks SET export = NULL WHERE id IN (OLD.brick_id, NEW.brick_id); END;
        CREATE TRIGGER brick_links_export_delete AFTER DELETE ON brick_links
        BEGIN UPDATE bricks SET export = NULL WHERE id = OLD.brick_id; END;
        CREATE TRIGGER brick_history_export_insert AFTER INSERT ON brick_history
        BEGIN UPDATE bricks SET export = NULL WHERE id = NEW.brick_id; END;
        CREATE TRIGGER brick_history_export_update AFTER UPDATE ON brick_history
        BEGIN UPDATE bricks SET export = NULL WHERE id IN (OLD.brick_id, NEW.brick_id); END;
        CREATE TRIGGER brick_history_export_delete AFTER DELETE ON brick_history
        BEGIN UPDATE bricks SET export = NULL WHERE id = OLD.brick_id; END;
        """
    )


@MIGRATIONS(name="0006_drop_export_cache")
def drop_export_cache(db: Database) -> None:
    """The export is built in Python from the records again (bot/export.py): an export is a
    backup and a feed, and under a second at 10,000 meetings is its goal, not 50 ms. So the
    per-record texts of 0005, their triggers and the zone they were written in go.

    DROP COLUMN came with SQLite 3.35 (2021); an older SQLite (a distribution's Python may
    use the system's) keeps the two columns, emptied, and nothing reads them."""
    import sqlite3

    db.executescript(
        """
        DROP TRIGGER meetings_export_stale;
        DROP TRIGGER rsvps_export_insert;
        DROP TRIGGER rsvps_export_update;
        DROP TRIGGER rsvps_export_delete;
        DROP TRIGGER bricks_export_stale;
        DROP TRIGGER brick_links_export_insert;
        DROP TRIGGER brick_links_export_update;
        DROP TRIGGER brick_links_export_delete;
        DROP TRIGGER brick_history_export_insert;
        DROP TRIGGER brick_history_export_update;
        DROP TRIGGER brick_history_export_delete;
        DELETE FROM backend_state WHERE backend = 'export' AND key = 'zone';
        """
    )
    if sqlite3.sqlite_version_info >= (3, 35):
        db.executescript("ALTER TABLE meetings DROP COLUMN export; ALTER TABLE bricks DROP COLUMN export;")
    else:
        db.executescript("UPDATE meetings SET export = NULL; UPDATE bricks SET export = NULL;")


@MIGRATIONS(name="0007_pledges")
def pledges(db: Database) -> None:
    """Monthly pledges (mécénat des communs). A commitment is never edited but to end it:
    a replaced or stopped one keeps its row, with when and why it ended, so the history of
    who gave what stays whole."""
    db.executescript(
        """
        CREATE TABLE pledges (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL,
            room TEXT NOT NULL,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            currency TEXT NOT NULL,
            months INTEGER NOT NULL CHECK (months > 0),
            brick_id INTEGER REFERENCES bricks(id),
            visibility TEXT NOT NULL CHECK (visibility IN ('named', 'anonymous', 'public')),
            started_at TEXT NOT NULL,  -- UTC ISO instant
            since TEXT NOT NULL,       -- when its pledger began giving without a break (a replacement's is the one it replaced's)
            ends_at TEXT NOT NULL,     -- UTC ISO instant: local midnight of the first day it no longer runs
            tz TEXT NOT NULL,
            lang TEXT NOT NULL,
            reminders INTEGER NOT NULL DEFAULT 1,
            stopped_at TEXT,
            end_reason TEXT CHECK (end_reason IN ('stopped', 'replaced')),
            replaces INTEGER REFERENCES pledges(id)
        );
        CREATE INDEX pledges_person ON pledges(person, id);
        -- When each commitment stops running: its early end, else its end (a commitment is
        -- only stopped while it runs). "Running at t" reads this index from t on.
        CREATE INDEX pledges_until ON pledges(coalesce(stopped_at, ends_at));
        CREATE INDEX pledges_ends ON pledges(ends_at) WHERE stopped_at IS NULL;
        """
    )
# What the calendar feed and the JSON export show: a change to any of these tables (whatever
# code path made it) raises the records' revision. A meeting's sequence is derived from the
# record, not a record: updating it alone is no change (nor is the `export` column that an
# SQLite older than 3.35 keeps, emptied, after 0006).
_REVISED = {
    "meetings": 'id, title, start, "end", all_day, place, status, proposed_by, room, cancel_reason, created_at, updated_at',
    "rsvps": None, "permanences": None, "permanence_hosts": None, "permanence_cancellations": None,
    "bricks": "id, name, category, status, description, lead, created_at, updated_at",
    "brick_links": None, "brick_history": None, "topics": None, "rhythm": None,
    "pledges": None,  # in the JSON export (main's 0007_pledges), every column of it
}


@MIGRATIONS(name="0008_web_feed")
def web_feed(db: Database) -> None:
    """What the web board's calendar feed needs to be right and cheap (bot/web/).

    - `records_revision`: one number raised by triggers at every change of a record, and
      when (the server's wall clock, as HTTP's Last-Modified wants): the feed's ETag, so that
      a calendar asking "changed?" is answered without building anything.
    - `meetings.sequence` and `rhythm.sequence`: iCalendar's SEQUENCE, raised by triggers
      when what a calendar shows as the event's time or status changes (a move, a
      confirmation, a cancellation; a new rule for the sessions), so that calendar programs
      replace their copy rather than keep the old one."""
    stamp = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
    parts = [
        "CREATE TABLE records_revision (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL, at TEXT NOT NULL);",
        f"INSERT INTO records_revision (id, n, at) VALUES (1, 0, {stamp});",
        "ALTER TABLE meetings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;",
        """CREATE TRIGGER meetings_sequence AFTER UPDATE OF start, "end", all_day, status ON meetings
           WHEN OLD.start IS NOT NEW.start OR OLD."end" IS NOT NEW."end" OR OLD.all_day IS NOT NEW.all_day
                OR OLD.status IS NOT NEW.status
           BEGIN UPDATE meetings SET sequence = sequence + 1 WHERE id = NEW.id; END;""",
        "ALTER TABLE rhythm ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;",
        """CREATE TRIGGER rhythm_sequence AFTER UPDATE OF rrule, dtstart, tz, duration_minutes ON rhythm
           WHEN OLD.rrule IS NOT NEW.rrule OR OLD.dtstart IS NOT NEW.dtstart OR OLD.tz IS NOT NEW.tz
                OR OLD.duration_minutes IS NOT NEW.duration_minutes
           BEGIN UPDATE rhythm SET sequence = sequence + 1 WHERE id = NEW.id; END;""",
    ]
    for table, columns in _REVISED.items():
        parts += _revision_triggers(table, columns)
    db.executescript("\n".join(parts))


def _revision_triggers(table: str, columns: str | None = None) -> list[str]:
    """The triggers by which any change to `table` (or to these columns of it) raises the
    records' revision (0008_web_feed)."""
    bump = "BEGIN UPDATE records_revision SET n = n + 1, at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = 1; END;"
    update = f"UPDATE OF {columns}" if columns else "UPDATE"
    return [f"CREATE TRIGGER {table}_revision_{name} AFTER {event} ON {table} {bump}"
            for event, name in (("INSERT", "insert"), (update, "update"), ("DELETE", "delete"))]


@MIGRATIONS(name="0009_sessions_and_actions")
def sessions_and_actions(db: Database) -> None:
    """The session itself as a record (issue 13): who was there, what was said under each
    topic, what was decided, and the actions agreed, which are followed up afterwards.

    An open session is a row without `closed_at`; there is at most one per room, which the
    partial unique index guarantees even for two processes opening one at once."""
    db.executescript(
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            title TEXT,                 -- NULL: titled by its date, in the reader's language
            day TEXT NOT NULL,          -- the local date it was held, YYYY-MM-DD
            tz TEXT NOT NULL,           -- the zone that date and the midnight close are read in
            place TEXT,
            scheduled TEXT,             -- the rhythm's session it is (UTC start), if it is one
            meeting_id INTEGER REFERENCES meetings(id),
            backend TEXT NOT NULL,
            room TEXT NOT NULL,         -- where it was opened: the minutes are posted there
            chair TEXT NOT NULL,        -- who opened it
            opened_at TEXT NOT NULL,
            closed_at TEXT,
            closed_by TEXT,             -- NULL once closed: closed by itself at midnight
            current_topic INTEGER REFERENCES topics(id)
        );
        CREATE UNIQUE INDEX sessions_open_room ON sessions(backend, room) WHERE closed_at IS NULL;
        CREATE INDEX sessions_day ON sessions(day, id);
        -- The topics to go through, in order; a topic added during the session joins the end.
        CREATE TABLE session_topics (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            position INTEGER NOT NULL,
            discussed_at TEXT,
            PRIMARY KEY (session_id, topic_id)
        );
        CREATE TABLE session_presence (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            person TEXT NOT NULL,       -- a chat id, or a name typed with !présent
            how TEXT NOT NULL CHECK (how IN ('chair', 'self', 'named', 'spoke')),
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (session_id, person)
        );
        -- Infos and decisions, under the topic being discussed (NULL: outside any topic).
        CREATE TABLE session_notes (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            topic_id INTEGER REFERENCES topics(id),
            kind TEXT NOT NULL CHECK (kind IN ('info', 'decision')),
            text TEXT NOT NULL,
            brick_id INTEGER REFERENCES bricks(id),
            by TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX session_notes_session ON session_notes(session_id, id);
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            session_id INTEGER REFERENCES sessions(id),  -- NULL: agreed outside a session
            topic_id INTEGER REFERENCES topics(id),
            person TEXT NOT NULL,       -- as it reads: the name typed, or a chat id
            person_id TEXT,             -- the chat id, when known: a direct message reaches them
            backend TEXT NOT NULL,      -- the chat person_id belongs to
            text TEXT NOT NULL,
            due TEXT,                   -- UTC instant, or a local date YYYY-MM-DD (due_all_day)
            due_all_day INTEGER NOT NULL DEFAULT 0,
            overdue_at TEXT,            -- UTC instant from which it is late
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            done_at TEXT,
            done_by TEXT,
            done_note TEXT
        );
        CREATE INDEX actions_open ON actions(overdue_at, id) WHERE done_at IS NULL;
        """
    )
    # The JSON export holds them: a change raises the records' revision as for the records
    # 0008_web_feed knew, else /export.json would be answered from a copy made before it.
    db.executescript("\n".join(trigger for table in _SESSION_TABLES for trigger in _revision_triggers(table)))


_SESSION_TABLES = ("sessions", "session_topics", "session_presence", "session_notes", "actions")


@MIGRATIONS(name="0010_listening")
def listening(db: Database) -> None:
    """Listening (issue 17): where a meeting or permanence came from, the messages the bot
    noticed and what it made of each, the listening mode set in chat, the reactions it was
    told of, and reactions in the outbox.

    - `source` is NULL for a record made by a command, 'conversation' for one listening
      noticed, 'seed' for the group's page; `source_message` and `source_link` name the
      message (its id in its chat, and its address for a person).
    - `heard`: one row per message listening noticed, keyed like handled_events. `state`:
      'suggested' (suggest mode: nothing recorded yet), 'recorded', 'duplicate' (the same
      meeting was already there: `record_id` is that one), 'dropped' (edited or removed
      before it was recorded, or its record cancelled by an edit or a removal).
      `written_at` is when listening last wrote the record: a record changed since then was
      changed by a command, and listening no longer touches it.
    - `listen_modes`: the mode an organiser set in a room (`!écoute`), over the configuration.
    - `reactions`: the reactions that stand, one per (message, emoji, person), with the
      reaction's own id, so that a removal naming only that id (a Matrix redaction) is
      known to be a reaction taken back.
    - `outbox.reaction`: an emoji to put on `reply_to` instead of a message."""
    db.executescript(
        """
        ALTER TABLE meetings ADD COLUMN source TEXT;
        ALTER TABLE meetings ADD COLUMN source_message TEXT;
        ALTER TABLE meetings ADD COLUMN source_link TEXT;
        ALTER TABLE permanences ADD COLUMN source TEXT;
        ALTER TABLE permanences ADD COLUMN source_message TEXT;
        ALTER TABLE permanences ADD COLUMN source_link TEXT;
        ALTER TABLE outbox ADD COLUMN reaction TEXT;
        CREATE TABLE heard (
            backend TEXT NOT NULL,
            message TEXT NOT NULL,
            room TEXT NOT NULL,
            author TEXT NOT NULL,
            thread TEXT NOT NULL,     -- where the bot speaks about it: the message's thread
            link TEXT,
            lang TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('meeting', 'permanence')),
            proposal TEXT NOT NULL,   -- JSON: what the message proposes, as listening read it
            state TEXT NOT NULL CHECK (state IN ('suggested', 'recorded', 'duplicate', 'dropped')),
            record_id INTEGER,
            written_at TEXT,
            at TEXT NOT NULL,
            PRIMARY KEY (backend, message)
        );
        CREATE INDEX heard_room ON heard(backend, room, at);
        CREATE TABLE listen_modes (
            backend TEXT NOT NULL,
            room TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('record', 'suggest', 'off')),
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL,
            PRIMARY KEY (backend, room)
        );
        CREATE TABLE reactions (
            backend TEXT NOT NULL,
            room TEXT NOT NULL,
            target TEXT NOT NULL,
            emoji TEXT NOT NULL,
            person TEXT NOT NULL,
            event_id TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (backend, target, emoji, person)
        );
        CREATE INDEX reactions_event ON reactions(backend, event_id);
        """
    )


@MIGRATIONS(name="0011_seed_meetings")
def seed_meetings(db: Database) -> None:
    """The meetings the group's page lists as still to organise ("Des rencontres à
    organiser"), as meetings without a date, the way 0004 loads its bricks: on a fresh
    install, and on an existing one too, except those whose title a meeting already has
    (an install that already planned one keeps its own)."""
    import json
    from datetime import datetime, timezone
    from importlib.resources import files

    seeded_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    seed = json.loads(files("storage").joinpath("seed/meetings.json").read_text(encoding="utf-8"))
    existing = {row[0].casefold() for row in db.execute("SELECT title FROM meetings").fetchall()}
    for meeting in seed["meetings"]:
        if meeting["title"].casefold() in existing:
            continue
        db.execute(
            'INSERT INTO meetings (title, start, "end", all_day, place, status, proposed_by, room, created_at,'
            " updated_at, source) VALUES (?, NULL, NULL, 0, NULL, 'proposed', ?, '', ?, ?, 'seed')",
            [meeting["title"], SEED_AUTHOR, seeded_at, seeded_at],
        )


@MIGRATIONS(name="0012_polls")
def polls(db: Database) -> None:
    """Date polls (issue 12): a poll belongs to a meeting and offers 2 to 10 dates; each member's
    latest answer counts; at its deadline (or by hand) it closes, and the meeting gets the date.

    - `polls.status`: 'open'; 'tied' (the deadline passed on a tie: an organiser chooses);
      'closed' (`chosen` is the option's position). `start_key` is the send key of the poll's
      own message: its id in the chat (`outbox.message_id`, once sent) is how an answer given
      on the chat (a Matrix poll response, a Rocket.Chat reaction) finds its poll.
    - `poll_options`: each date as the time layer read it (like a meeting's start and end),
      and the text it is written back as.
    - `poll_answers`: every answer given (`at`: when, on the chat's clock), a JSON list of
      positions, empty when withdrawn; a member's answer is their latest. A chat's poll
      response keeps its id: its redaction takes it back, and the one before counts again
      (MSC3381).
    - Polls are in the JSON export: their changes raise `records_revision` (0008_web_feed).
    - `outbox.poll`: a message that is a native poll (or its end), JSON (bot/backends/base.py
      `Outgoing.poll`); `outbox.message_id`: the id the chat gave the message it sent."""
    db.executescript(
        """
        CREATE TABLE polls (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            backend TEXT NOT NULL,
            room TEXT NOT NULL,
            lang TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            closes_at TEXT NOT NULL,   -- UTC ISO instant
            status TEXT NOT NULL CHECK (status IN ('open', 'tied', 'closed')),
            start_key TEXT,
            chosen INTEGER,
            closed_at TEXT,
            closed_by TEXT
        );
        CREATE INDEX polls_open ON polls(status, closes_at);
        CREATE INDEX polls_start ON polls(backend, start_key);
        CREATE TABLE poll_options (
            poll_id INTEGER NOT NULL REFERENCES polls(id),
            position INTEGER NOT NULL,
            start TEXT NOT NULL,      -- as meetings.start
            "end" TEXT,
            all_day INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (poll_id, position)
        );
        CREATE TABLE poll_answers (
            id INTEGER PRIMARY KEY,
            poll_id INTEGER NOT NULL REFERENCES polls(id),
            person TEXT NOT NULL,
            choices TEXT NOT NULL,    -- JSON list of positions
            at TEXT NOT NULL,
            via TEXT NOT NULL,        -- 'command', 'poll' (a chat's poll response), 'reaction'
            event_id TEXT             -- a chat's poll response: its id, for its redaction
        );
        CREATE INDEX poll_answers_person ON poll_answers(poll_id, person, at);
        CREATE INDEX poll_answers_event ON poll_answers(event_id) WHERE event_id IS NOT NULL;
        ALTER TABLE outbox ADD COLUMN poll TEXT;
        ALTER TABLE outbox ADD COLUMN message_id TEXT;
        CREATE INDEX outbox_message ON outbox(backend, message_id) WHERE message_id IS NOT NULL;
        """
    )
    # In the JSON export: the web feed's ETag changes with them (0008_web_feed).
    db.executescript("\n".join(trigger for table in _POLL_TABLES for trigger in _revision_triggers(table)))


_POLL_TABLES = ("polls", "poll_options", "poll_answers")
# Every table whose changes raise the records' revision: what the feed and the export read
# must be among them (tests/web/test_feed.py). A migration adding such a table makes its
# triggers with _revision_triggers and adds it here.
REVISED_TABLES = frozenset(_REVISED) | frozenset(_SESSION_TABLES) | frozenset(_POLL_TABLES)


def unknown_migrations(db: Database) -> list[str]:
    """Migrations recorded in the database that this version does not have: a newer
    chambre-bot wrote it, and this one would misread or damage what it added."""
    known = {m.name for m in MIGRATIONS._migrations}
    return [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
