"""All SQL for the records lives here. The store is synchronous and runs on the database
thread, inside the transaction its caller opened (see storage/db.py)."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timezone
from typing import Any, ContextManager, Iterable, TypeVar

import sqlite_utils

from bot.records import (Action, Brick, Heard, HistoryEntry, JournalEntry, Link, Meeting, Note, Permanence, Pledge,
                         Poll, PollOption, Presence, Rhythm, Session, SessionTopic, Topic)


# A row read by column name: sqlite3's Row (Store._rows) or sqlite-utils' dict (db.query).
RowLike = sqlite3.Row | dict[str, Any]
R = TypeVar("R")


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def parse_instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    # Stored instants are already UTC (see iso()); converting them again is the export's hot spot.
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


# Where a record came from: (source, message id, message address), None for a command.
Source = tuple[str, str | None, str | None] | None

# The columns a service may change, by name (the names are spliced into the UPDATE).
_MEETING_CHANGES = frozenset({"title", "start", "end", "all_day", "place", "status", "cancel_reason"})
_BRICK_CHANGES = frozenset({"name", "category", "status", "description", "lead"})


def _written(record: R | None) -> R:
    """A record this transaction has just written, read back: it is there (the getters say
    "or None" for the numbers members type)."""
    if record is None:
        raise LookupError("a record written in this transaction cannot be read back")
    return record


def _new_id(cur: sqlite3.Cursor) -> int:
    """The id an INSERT gave its row (sqlite3 says None only for statements that insert nothing)."""
    if cur.lastrowid is None:
        raise LookupError("the INSERT gave no row id")
    return cur.lastrowid


def _columns(changes: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not a column that may change: {sorted(unknown)}")
    return changes


class Store:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def atomic(self) -> ContextManager[Any]:
        """All or nothing: a transaction, or inside the caller's one a savepoint, so that a
        refusal raised halfway through a command undoes what it had written."""
        return self.db.atomic()

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """All rows, fetched at once, each read by column name (sqlite-utils' query builds a
        dict per row, one by one: a third of the time of reading 10,000 meetings)."""
        cur = self.db.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cur.execute(sql, list(params)).fetchall()

    # ---- meetings -------------------------------------------------------------------------

    def _meeting(self, row: sqlite3.Row) -> Meeting:
        """A meeting without its answers (see _with_rsvps)."""
        start: datetime | date | None
        if row["start"] is None:
            start = None
        elif row["all_day"]:
            start = date.fromisoformat(row["start"])
        else:
            start = parse_instant(row["start"])
        meeting = Meeting(
            id=row["id"], title=row["title"], start=start,
            end=parse_instant(row["end"]) if row["end"] else None, place=row["place"],
            status=row["status"], proposed_by=row["proposed_by"], room=row["room"],
            cancel_reason=row["cancel_reason"], created_at=parse_instant(row["created_at"]),
            updated_at=parse_instant(row["updated_at"]), sequence=row["sequence"], source=row["source"],
            source_message=row["source_message"], source_link=row["source_link"],
        )
        return meeting

    @staticmethod
    def _when_columns(start: datetime | date | None, end: datetime | None) -> dict[str, Any]:
        if start is None:
            return {"start": None, "end": None, "all_day": 0}
        if isinstance(start, datetime):
            return {"start": iso(start), "end": iso(end) if end else None, "all_day": 0}
        return {"start": start.isoformat(), "end": None, "all_day": 1}

    def add_meeting(self, title: str, start: datetime | date | None, end: datetime | None, place: str | None,
                    proposed_by: str, room: str, now: datetime, source: Source = None) -> Meeting:
        cols = self._when_columns(start, end)
        origin, message, link = source or (None, None, None)
        cur = self.db.execute(
            'INSERT INTO meetings (title, start, "end", all_day, place, status, proposed_by, room, created_at, updated_at,'
            " source, source_message, source_link) VALUES (?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?)",
            [title, cols["start"], cols["end"], cols["all_day"], place, proposed_by, room, iso(now), iso(now),
             origin, message, link],
        )
        return _written(self.meeting(_new_id(cur)))

    def meeting(self, meeting_id: int) -> Meeting | None:
        rows = self._rows("SELECT * FROM meetings WHERE id = ?", [meeting_id])
        return self._with_rsvps(rows)[0] if rows else None

    def update_meeting(self, meeting_id: int, now: datetime, **changes: Any) -> Meeting:
        if "start" in changes:
            changes.update(self._when_columns(changes.pop("start"), changes.pop("end", None)))
        sets = ", ".join(f'"{k}" = ?' for k in _columns(changes, _MEETING_CHANGES))
        self.db.execute(f"UPDATE meetings SET {sets}, updated_at = ? WHERE id = ?", [*changes.values(), iso(now), meeting_id])
        return _written(self.meeting(meeting_id))

    # Meetings in date order: dated ones by start (UTC text sorts in time order), then the
    # ones still to organise, each group by number.
    _BY_DATE = "ORDER BY start IS NULL, start, id"
    # Not cancelled, and still to come: undated, ending (or starting) at or after now, or an
    # all-day meeting from today on.
    _UPCOMING = ("status != 'cancelled' AND (start IS NULL OR (all_day = 0 AND coalesce(\"end\", start) >= ?)"
                 " OR (all_day = 1 AND start >= ?))")
    # A proposal with a date still ahead (an all-day one whatever its day), made by the cutoff.
    _WAITING = "status = 'proposed' AND start IS NOT NULL AND (all_day = 1 OR start >= ?) AND created_at <= ?"

    def _meetings(self, sql: str, params: Iterable[Any] = (), limit: int | None = None) -> list[Meeting]:
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._with_rsvps(self._rows(sql, params))

    def _count(self, sql: str, params: Iterable[Any] = ()) -> int:
        count: int = self.db.execute(sql, list(params)).fetchone()[0]
        return count

    def meetings_by_number(self) -> list[Meeting]:
        """Every meeting, cancelled and past ones too, by number."""
        return self._meetings("SELECT * FROM meetings ORDER BY id")

    def meetings_by_date(self, limit: int | None = None) -> list[Meeting]:
        """Every meeting, cancelled and past ones too, by date; the undated ones last."""
        return self._meetings(f"SELECT * FROM meetings {self._BY_DATE}", limit=limit)

    def count_meetings(self) -> int:
        return self._count("SELECT count(*) FROM meetings")

    def upcoming_meetings(self, now: datetime, limit: int | None = None) -> list[Meeting]:
        """Meetings not cancelled that are still to come at `now`, or still to organise, by date."""
        return self._meetings(f"SELECT * FROM meetings WHERE {self._UPCOMING} {self._BY_DATE}",
                              self._upcoming_params(now), limit)

    def count_upcoming_meetings(self, now: datetime) -> int:
        return self._count(f"SELECT count(*) FROM meetings WHERE {self._UPCOMING}", self._upcoming_params(now))

    @staticmethod
    def _upcoming_params(now: datetime) -> list[str]:
        return [iso(now), now.date().isoformat()]

    def meetings_to_organise(self) -> list[Meeting]:
        """Meetings without a date yet, not cancelled, by number."""
        return self._meetings("SELECT * FROM meetings WHERE start IS NULL AND status != 'cancelled' ORDER BY id")

    def waiting_meetings(self, now: datetime, proposed_by: datetime, limit: int | None = None) -> list[Meeting]:
        """Proposals awaiting confirmation whose date is still ahead at `now`, made at or
        before `proposed_by`, by date."""
        return self._meetings(f"SELECT * FROM meetings WHERE {self._WAITING} {self._BY_DATE}",
                              [iso(now), iso(proposed_by)], limit)

    def count_waiting_meetings(self, now: datetime, proposed_by: datetime) -> int:
        return self._count(f"SELECT count(*) FROM meetings WHERE {self._WAITING}", [iso(now), iso(proposed_by)])

    def _with_rsvps(self, rows: list[sqlite3.Row]) -> list[Meeting]:
        meetings = [self._meeting(r) for r in rows]
        if meetings:
            by_id = {m.id: m for m in meetings}
            marks = ",".join("?" * len(by_id))
            if len(by_id) > 500:  # more than SQLite's parameter limit allows: read them all
                answers = self.db.conn.execute("SELECT meeting_id, person, answer FROM rsvps ORDER BY at, person")
            else:
                answers = self.db.conn.execute(f"SELECT meeting_id, person, answer FROM rsvps WHERE meeting_id IN ({marks})"
                                               " ORDER BY at, person", list(by_id))
            for meeting_id, person, answer in answers:
                if meeting_id in by_id:
                    by_id[meeting_id].rsvp[answer].append(person)
        return meetings

    def meetings_at(self, start: datetime, room: str, created_since: datetime) -> list[Meeting]:
        """Meetings of `room`, not cancelled, starting at that instant, made since then."""
        return self._meetings("SELECT * FROM meetings WHERE status != 'cancelled' AND all_day = 0 AND start = ?"
                              " AND room = ? AND created_at >= ? ORDER BY id", [iso(start), room, iso(created_since)])

    def known_places(self) -> list[str]:
        """The places the group has used: the rhythm's, meetings' and permanences', each once
        (as first written), the most recent first."""
        rows = self._rows(
            "SELECT place FROM (SELECT place, 2 AS k, created_at AS at FROM meetings WHERE place IS NOT NULL"
            " UNION ALL SELECT place, 1, created_at FROM permanences WHERE place IS NOT NULL"
            " UNION ALL SELECT place, 0, set_at FROM rhythm WHERE place IS NOT NULL) ORDER BY k, at DESC")
        seen: dict[str, str] = {}
        for row in rows:
            seen.setdefault(row["place"].casefold(), row["place"])
        return list(seen.values())

    def meetings_between(self, start: datetime, end: datetime, statuses: tuple[str, ...] = ("proposed", "confirmed")) -> list[Meeting]:
        """Meetings starting in [start, end): instants compared in UTC, all-day ones by date."""
        marks = ",".join("?" * len(statuses))
        return self._meetings(
            f"SELECT * FROM meetings WHERE status IN ({marks}) AND start IS NOT NULL"
            " AND ((all_day = 0 AND start >= ? AND start < ?) OR (all_day = 1 AND start >= ? AND start <= ?))"
            f" {self._BY_DATE}",
            [*statuses, iso(start), iso(end), start.date().isoformat(), end.date().isoformat()],
        )

    def set_rsvp(self, meeting_id: int, person: str, answer: str, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO rsvps (meeting_id, person, answer, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (meeting_id, person) DO UPDATE SET answer = excluded.answer, at = excluded.at",
            [meeting_id, person, answer, iso(now)],
        )

    # ---- permanences ----------------------------------------------------------------------

    def _permanence(self, row: RowLike) -> Permanence:
        perm = Permanence(
            id=row["id"], title=row["title"], place=row["place"], rrule=row["rrule"],
            dtstart=datetime.fromisoformat(row["dtstart"]), tz=row["tz"],
            duration_minutes=row["duration_minutes"], active=bool(row["active"]),
            created_by=row["created_by"], room=row["room"], source=row["source"],
            source_message=row["source_message"], source_link=row["source_link"],
        )
        for r in self.db.query("SELECT occurrence FROM permanence_cancellations WHERE permanence_id = ? ORDER BY occurrence", [perm.id]):
            perm.cancelled.append(parse_instant(r["occurrence"]))
        for r in self.db.query("SELECT occurrence, person FROM permanence_hosts WHERE permanence_id = ? ORDER BY occurrence, at", [perm.id]):
            perm.hosts.setdefault(parse_instant(r["occurrence"]), []).append(r["person"])
        return perm

    def add_permanence(self, title: str, place: str | None, rrule: str, dtstart: datetime, tz: str,
                       duration_minutes: int | None, created_by: str, room: str, now: datetime,
                       source: Source = None) -> Permanence:
        origin, message, link = source or (None, None, None)
        cur = self.db.execute(
            "INSERT INTO permanences (title, place, rrule, dtstart, tz, duration_minutes, created_by, room, created_at,"
            " source, source_message, source_link) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [title, place, rrule, dtstart.isoformat(), tz, duration_minutes, created_by, room, iso(now),
             origin, message, link],
        )
        return _written(self.permanence(_new_id(cur)))

    def permanence(self, permanence_id: int) -> Permanence | None:
        row = self._one("SELECT * FROM permanences WHERE id = ?", [permanence_id])
        return self._permanence(row) if row else None

    def permanences(self, active_only: bool = False) -> list[Permanence]:
        sql = "SELECT * FROM permanences WHERE active = 1 ORDER BY id" if active_only else "SELECT * FROM permanences ORDER BY id"
        return [self._permanence(r) for r in self.db.query(sql)]

    def add_host(self, permanence_id: int, occurrence: datetime, person: str, now: datetime) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO permanence_hosts (permanence_id, occurrence, person, at) VALUES (?, ?, ?, ?)",
            [permanence_id, iso(occurrence), person, iso(now)],
        )
        return cur.rowcount > 0

    def cancel_occurrence(self, permanence_id: int, occurrence: datetime, by: str, now: datetime) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO permanence_cancellations (permanence_id, occurrence, by, at) VALUES (?, ?, ?, ?)",
            [permanence_id, iso(occurrence), by, iso(now)],
        )
        return cur.rowcount > 0

    def end_permanence(self, permanence_id: int, now: datetime) -> None:
        self.db.execute("UPDATE permanences SET active = 0, ended_at = ? WHERE id = ?", [iso(now), permanence_id])

    def update_permanence(self, permanence_id: int, title: str, place: str | None, rrule: str, dtstart: datetime,
                          tz: str, duration_minutes: int | None) -> Permanence:
        """A permanence as a message that proposed it now says (listening follows edits)."""
        self.db.execute("UPDATE permanences SET title = ?, place = ?, rrule = ?, dtstart = ?, tz = ?, duration_minutes = ?"
                        " WHERE id = ?", [title, place, rrule, dtstart.isoformat(), tz, duration_minutes, permanence_id])
        return _written(self.permanence(permanence_id))

    def permanences_in(self, room: str, rrule: str, created_since: datetime) -> list[Permanence]:
        """Active permanences of `room` on this rule, made since then."""
        return [self._permanence(r) for r in self._rows(
            "SELECT * FROM permanences WHERE active = 1 AND room = ? AND rrule = ? AND created_at >= ? ORDER BY id",
            [room, rrule, iso(created_since)])]

    # ---- bricks ---------------------------------------------------------------------------

    def _brick(self, row: RowLike, full: bool = True) -> Brick:
        brick = Brick(id=row["id"], name=row["name"], category=row["category"], status=row["status"],
                      description=row["description"], lead=row["lead"])
        if full:
            brick.links = [Link(r["url"], r["label"]) for r in self.db.query(
                "SELECT url, label FROM brick_links WHERE brick_id = ? ORDER BY id", [brick.id])]
            brick.history = [self._history(r) for r in self.db.query(
                "SELECT * FROM brick_history WHERE brick_id = ? ORDER BY id", [brick.id])]
        return brick

    @staticmethod
    def _history(r: RowLike) -> HistoryEntry:
        return HistoryEntry(at=parse_instant(r["at"]), by=r["by"], change=r["change"], status=r["status"], note=r["note"])

    def brick(self, brick_id: int) -> Brick | None:
        row = self._one("SELECT * FROM bricks WHERE id = ?", [brick_id])
        return self._brick(row) if row else None

    def bricks(self, status: str | None = None, category: str | None = None, full: bool = False) -> list[Brick]:
        """The bricks by number, those of one status or one category if given; `full` adds
        their links and history."""
        rows = self._rows("SELECT * FROM bricks WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR category = ?2) ORDER BY id",
                          [status, category])
        if not full:
            return [self._brick(r, full=False) for r in rows]
        bricks = {r["id"]: self._brick(r, full=False) for r in rows}
        for brick_id, url, label in self.db.conn.execute("SELECT brick_id, url, label FROM brick_links ORDER BY id"):
            if brick_id in bricks:
                bricks[brick_id].links.append(Link(url, label))
        for brick_id, at, by, change, status, note in self.db.conn.execute(
                "SELECT brick_id, at, by, change, status, note FROM brick_history ORDER BY id"):
            if brick_id in bricks:
                bricks[brick_id].history.append(HistoryEntry(at=parse_instant(at), by=by, change=change, status=status, note=note))
        return list(bricks.values())

    def brick_names(self) -> list[tuple[int, str]]:
        return [(r["id"], r["name"]) for r in self.db.query("SELECT id, name FROM bricks ORDER BY id")]

    def add_brick(self, name: str, category: str, description: str, by: str, now: datetime) -> Brick:
        cur = self.db.execute(
            "INSERT INTO bricks (name, category, status, description, created_at, updated_at) VALUES (?, ?, 'idea', ?, ?, ?)",
            [name, category, description, iso(now), iso(now)],
        )
        brick_id = _new_id(cur)
        self.add_history(brick_id, by, "created", "idea", None, now)
        return _written(self.brick(brick_id))

    def update_brick(self, brick_id: int, now: datetime, **changes: Any) -> None:
        # No change but the time: a note or a link only touches updated_at.
        sets = "".join(f'"{k}" = ?, ' for k in _columns(changes, _BRICK_CHANGES))
        self.db.execute(f"UPDATE bricks SET {sets}updated_at = ? WHERE id = ?", [*changes.values(), iso(now), brick_id])

    def add_history(self, brick_id: int, by: str, change: str, status: str | None, note: str | None, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO brick_history (brick_id, at, by, change, status, note) VALUES (?, ?, ?, ?, ?, ?)",
            [brick_id, iso(now), by, change, status, note],
        )

    def add_link(self, brick_id: int, url: str, label: str | None, by: str, now: datetime) -> None:
        self.db.execute("INSERT INTO brick_links (brick_id, url, label, added_by, at) VALUES (?, ?, ?, ?, ?)",
                        [brick_id, url, label, by, iso(now)])

    # ---- topics ---------------------------------------------------------------------------

    @staticmethod
    def _topic(r: RowLike) -> Topic:
        return Topic(id=r["id"], text=r["text"], added_by=r["added_by"], room=r["room"],
                     created_at=parse_instant(r["created_at"]), done=bool(r["done"]))

    def add_topic(self, text: str, by: str, room: str, now: datetime) -> Topic:
        cur = self.db.execute("INSERT INTO topics (text, added_by, room, created_at) VALUES (?, ?, ?, ?)",
                              [text, by, room, iso(now)])
        return _written(self.topic(_new_id(cur)))

    def topic(self, topic_id: int) -> Topic | None:
        row = self._one("SELECT * FROM topics WHERE id = ?", [topic_id])
        return self._topic(row) if row else None

    def topics(self, include_done: bool = False) -> list[Topic]:
        sql = "SELECT * FROM topics ORDER BY id" if include_done else "SELECT * FROM topics WHERE done = 0 ORDER BY id"
        return [self._topic(r) for r in self.db.query(sql)]

    def mark_topic_done(self, topic_id: int, by: str, now: datetime) -> None:
        self.db.execute("UPDATE topics SET done = 1, done_by = ?, done_at = ? WHERE id = ?", [by, iso(now), topic_id])

    # ---- rhythm ---------------------------------------------------------------------------

    def rhythm(self) -> Rhythm | None:
        r = self._one("SELECT * FROM rhythm WHERE id = 1")
        if r is None:
            return None
        return Rhythm(rrule=r["rrule"], dtstart=datetime.fromisoformat(r["dtstart"]), tz=r["tz"],
                      duration_minutes=r["duration_minutes"], place=r["place"], text=r["text"], set_by=r["set_by"],
                      set_at=parse_instant(r["set_at"]), sequence=r["sequence"])

    def set_rhythm(self, rhythm: Rhythm, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO rhythm (id, rrule, dtstart, tz, duration_minutes, place, text, set_by, set_at)"
            " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET rrule = excluded.rrule,"
            " dtstart = excluded.dtstart, tz = excluded.tz, duration_minutes = excluded.duration_minutes,"
            " place = excluded.place, text = excluded.text, set_by = excluded.set_by, set_at = excluded.set_at",
            [rhythm.rrule, rhythm.dtstart.isoformat(), rhythm.tz, rhythm.duration_minutes, rhythm.place,
             rhythm.text, rhythm.set_by, iso(now)],
        )

    # ---- pledges ---------------------------------------------------------------------------

    @staticmethod
    def _pledge(r: RowLike) -> Pledge:
        return Pledge(id=r["id"], person=r["person"], room=r["room"], amount_cents=r["amount_cents"],
                      currency=r["currency"], months=r["months"], brick_id=r["brick_id"], visibility=r["visibility"],
                      started_at=parse_instant(r["started_at"]), since=parse_instant(r["since"]),
                      ends_at=parse_instant(r["ends_at"]), tz=r["tz"],
                      lang=r["lang"], reminders=bool(r["reminders"]),
                      stopped_at=parse_instant(r["stopped_at"]) if r["stopped_at"] else None,
                      end_reason=r["end_reason"], replaces=r["replaces"])

    def add_pledge(self, person: str, room: str, amount_cents: int, currency: str, months: int, brick_id: int | None,
                   visibility: str, started_at: datetime, since: datetime, ends_at: datetime, tz: str, lang: str,
                   reminders: bool, replaces: int | None) -> Pledge:
        cur = self.db.execute(
            "INSERT INTO pledges (person, room, amount_cents, currency, months, brick_id, visibility, started_at,"
            " since, ends_at, tz, lang, reminders, replaces) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [person, room, amount_cents, currency, months, brick_id, visibility, iso(started_at), iso(since),
             iso(ends_at), tz, lang, int(reminders), replaces],
        )
        return _written(self.pledge(_new_id(cur)))

    def pledge(self, pledge_id: int) -> Pledge | None:
        row = self._one("SELECT * FROM pledges WHERE id = ?", [pledge_id])
        return self._pledge(row) if row else None

    def pledges(self, person: str | None = None) -> list[Pledge]:
        """Every commitment ever made (or one person's), oldest first."""
        if person is None:
            return [self._pledge(r) for r in self._rows("SELECT * FROM pledges ORDER BY id")]
        return [self._pledge(r) for r in self._rows("SELECT * FROM pledges WHERE person = ? ORDER BY id", [person])]

    def running_pledges(self, at: datetime) -> list[Pledge]:
        """The commitments that run at `at`, oldest first."""
        t = iso(at)
        # Sorted here: an ORDER BY would make SQLite scan the table rather than the index.
        rows = self._rows("SELECT * FROM pledges WHERE coalesce(stopped_at, ends_at) > ? AND started_at <= ?", [t, t])
        return [self._pledge(r) for r in sorted(rows, key=lambda r: r["id"])]

    def count_running_pledges(self, at: datetime) -> int:
        t = iso(at)
        return self._count("SELECT count(*) FROM pledges WHERE coalesce(stopped_at, ends_at) > ? AND started_at <= ?",
                           [t, t])

    def pledges_ending(self, after: datetime, until: datetime) -> list[Pledge]:
        """The commitments not ended early whose end falls in (after, until]."""
        return [self._pledge(r) for r in self._rows(
            "SELECT * FROM pledges WHERE stopped_at IS NULL AND ends_at > ? AND ends_at <= ? ORDER BY id",
            [iso(after), iso(until)])]

    def pledges_changed(self, since: datetime, until: datetime) -> bool:
        """Whether a commitment began, was ended early or came to its end in (since, until]."""
        a, b = iso(since), iso(until)
        return self._one(
            "SELECT 1 AS x FROM pledges WHERE (started_at > ? AND started_at <= ?) OR (stopped_at > ? AND stopped_at <= ?)"
            " OR (stopped_at IS NULL AND ends_at > ? AND ends_at <= ?) LIMIT 1", [a, b, a, b, a, b]) is not None

    def end_pledge(self, pledge_id: int, at: datetime, reason: str) -> None:
        self.db.execute("UPDATE pledges SET stopped_at = ?, end_reason = ? WHERE id = ?", [iso(at), reason, pledge_id])

    def set_pledge_reminders(self, pledge_id: int, on: bool) -> None:
        self.db.execute("UPDATE pledges SET reminders = ? WHERE id = ?", [int(on), pledge_id])

    # ---- journal --------------------------------------------------------------------------

    def log(self, kind: str, record_id: int | None, by: str, now: datetime, **data: Any) -> None:
        self.db.execute("INSERT INTO journal (at, kind, record_id, by, data) VALUES (?, ?, ?, ?, ?)",
                        [iso(now), kind, record_id, by, json.dumps(data, ensure_ascii=False, default=str)])

    def journal(self, since: datetime, until: datetime, kinds: tuple[str, ...] | None = None) -> list[JournalEntry]:
        where, params = "at >= ? AND at < ?", [iso(since), iso(until)]
        if kinds:
            where += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        return [
            JournalEntry(id=r["id"], at=parse_instant(r["at"]), kind=r["kind"], record_id=r["record_id"],
                         by=r["by"], data=json.loads(r["data"]))
            for r in self._rows(f"SELECT * FROM journal WHERE {where} ORDER BY id", params)
        ]

    # ---- what the calendar feed and the web board read ----------------------------------------

    def records_revision(self) -> tuple[int, datetime]:
        """A number raised by every change to a record, and when (migration 0007): equal
        numbers, equal records."""
        row = self._one("SELECT n, at FROM records_revision WHERE id = 1")
        assert row is not None  # 0007 writes the one row
        return row["n"], datetime.fromisoformat(row["at"].replace("Z", "+00:00"))

    def topics_changed_at(self) -> datetime | None:
        """When an open topic was last added or a topic closed."""
        row = self._one("SELECT max(max(created_at), coalesce(max(done_at), '')) AS at FROM topics")
        return parse_instant(row["at"]) if row and row["at"] else None

    def permanence_changes(self) -> dict[int, tuple[datetime, int]]:
        """Per permanence: when it last changed (made, ended, an occurrence cancelled or
        hosted) and how many occurrences were cancelled (its calendar SEQUENCE: each is an
        EXDATE more)."""
        rows = self._rows(
            "SELECT p.id, max(p.created_at, coalesce(p.ended_at, ''),"
            " coalesce((SELECT max(at) FROM permanence_cancellations c WHERE c.permanence_id = p.id), ''),"
            " coalesce((SELECT max(at) FROM permanence_hosts h WHERE h.permanence_id = p.id), '')) AS at,"
            " (SELECT count(*) FROM permanence_cancellations c WHERE c.permanence_id = p.id) AS cancelled"
            " FROM permanences p")
        return {r["id"]: (parse_instant(r["at"]), r["cancelled"]) for r in rows}

    def brick_last_changes(self) -> dict[int, HistoryEntry]:
        """Each brick's latest history entry (the board shows it beside the brick), without
        reading whole histories."""
        rows = self._rows("SELECT h.* FROM brick_history h JOIN (SELECT brick_id, max(id) AS id FROM brick_history"
                          " GROUP BY brick_id) last ON h.id = last.id")
        return {r["brick_id"]: self._history(r) for r in rows}

    def outbox_depth(self) -> dict[str, int]:
        """Messages waiting to be sent, per backend."""
        rows = self._rows("SELECT backend, count(*) AS n FROM outbox WHERE sent_at IS NULL GROUP BY backend")
        return {r["backend"]: r["n"] for r in rows}

    # ---- sessions: minutes, presence, notes, actions -------------------------------------------

    @staticmethod
    def _session(r: sqlite3.Row) -> Session:
        return Session(id=r["id"], title=r["title"], day=date.fromisoformat(r["day"]), tz=r["tz"], place=r["place"],
                       scheduled=parse_instant(r["scheduled"]) if r["scheduled"] else None,
                       meeting_id=r["meeting_id"], backend=r["backend"], room=r["room"], chair=r["chair"],
                       opened_at=parse_instant(r["opened_at"]),
                       closed_at=parse_instant(r["closed_at"]) if r["closed_at"] else None,
                       closed_by=r["closed_by"], current_topic=r["current_topic"])

    def add_session(self, title: str | None, day: date, tz: str, place: str | None, scheduled: datetime | None,
                    meeting_id: int | None, backend: str, room: str, chair: str, now: datetime) -> Session:
        cur = self.db.execute(
            "INSERT INTO sessions (title, day, tz, place, scheduled, meeting_id, backend, room, chair, opened_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [title, day.isoformat(), tz, place, iso(scheduled) if scheduled else None, meeting_id, backend, room,
             chair, iso(now)],
        )
        return _written(self.session(_new_id(cur)))

    def session(self, session_id: int) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE id = ?", [session_id])
        return self._session(row) if row else None

    def open_session(self, backend: str, room: str) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE backend = ? AND room = ? AND closed_at IS NULL", [backend, room])
        return self._session(row) if row else None

    def open_sessions(self) -> list[Session]:
        return [self._session(r) for r in self._rows("SELECT * FROM sessions WHERE closed_at IS NULL ORDER BY id")]

    def sessions_on(self, day: date) -> list[Session]:
        return [self._session(r) for r in self._rows("SELECT * FROM sessions WHERE day = ? ORDER BY id", [day.isoformat()])]

    def sessions(self) -> list[Session]:
        return [self._session(r) for r in self._rows("SELECT * FROM sessions ORDER BY id")]

    def latest_sessions(self, limit: int) -> tuple[list[Session], int]:
        """The `limit` most recent sessions, the latest first, and how many there are in all."""
        rows = self._rows("SELECT * FROM sessions ORDER BY day DESC, id DESC LIMIT ?", [limit])
        return [self._session(r) for r in rows], self._count("SELECT count(*) FROM sessions")

    def last_closed_session(self, backend: str, room: str) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE backend = ? AND room = ? AND closed_at IS NOT NULL"
                        " ORDER BY closed_at DESC, id DESC LIMIT 1", [backend, room])
        return self._session(row) if row else None

    def close_session(self, session_id: int, by: str | None, at: datetime) -> None:
        self.db.execute("UPDATE sessions SET closed_at = ?, closed_by = ?, current_topic = NULL WHERE id = ?",
                        [iso(at), by, session_id])

    def set_current_topic(self, session_id: int, topic_id: int | None) -> None:
        self.db.execute("UPDATE sessions SET current_topic = ? WHERE id = ?", [topic_id, session_id])

    def add_session_topic(self, session_id: int, topic_id: int) -> None:
        """Put a topic on the session's agenda, last (once)."""
        self.db.execute(
            "INSERT OR IGNORE INTO session_topics (session_id, topic_id, position)"
            " VALUES (?, ?, (SELECT coalesce(max(position), 0) + 1 FROM session_topics WHERE session_id = ?))",
            [session_id, topic_id, session_id],
        )

    def session_topics(self, session_id: int) -> list[SessionTopic]:
        return [SessionTopic(topic_id=r["topic_id"], text=r["text"], position=r["position"],
                             discussed_at=parse_instant(r["discussed_at"]) if r["discussed_at"] else None)
                for r in self._rows("SELECT st.topic_id, t.text, st.position, st.discussed_at FROM session_topics st"
                                    " JOIN topics t ON t.id = st.topic_id WHERE st.session_id = ? ORDER BY st.position",
                                    [session_id])]

    def mark_session_topic_discussed(self, session_id: int, topic_id: int, now: datetime) -> None:
        self.db.execute("UPDATE session_topics SET discussed_at = coalesce(discussed_at, ?)"
                        " WHERE session_id = ? AND topic_id = ?", [iso(now), session_id, topic_id])

    def add_presence(self, session_id: int, person: str, how: str, by: str, now: datetime) -> bool:
        """Record someone present; False if they already were (the first way they came stays)."""
        cur = self.db.execute("INSERT OR IGNORE INTO session_presence (session_id, person, how, by, at)"
                              " VALUES (?, ?, ?, ?, ?)", [session_id, person, how, by, iso(now)])
        return cur.rowcount > 0

    def presence(self, session_id: int) -> list[Presence]:
        return [Presence(person=r["person"], how=r["how"], by=r["by"], at=parse_instant(r["at"]))
                for r in self._rows("SELECT * FROM session_presence WHERE session_id = ? ORDER BY at, rowid",
                                    [session_id])]

    def add_note(self, session_id: int, topic_id: int | None, kind: str, text: str, brick_id: int | None, by: str,
                 now: datetime) -> Note:
        cur = self.db.execute("INSERT INTO session_notes (session_id, topic_id, kind, text, brick_id, by, at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)", [session_id, topic_id, kind, text, brick_id, by, iso(now)])
        return self.notes(session_id, note_id=cur.lastrowid)[0]

    def notes(self, session_id: int, note_id: int | None = None) -> list[Note]:
        where, params = "session_id = ?", [session_id]
        if note_id is not None:
            where, params = "id = ?", [note_id]
        return [Note(id=r["id"], session_id=r["session_id"], topic_id=r["topic_id"], kind=r["kind"], text=r["text"],
                     brick_id=r["brick_id"], by=r["by"], at=parse_instant(r["at"]))
                for r in self._rows(f"SELECT * FROM session_notes WHERE {where} ORDER BY id", params)]

    def count_session_entries(self, session_id: int) -> int:
        """Notes and actions of a session: what its minutes grow with."""
        return self._count("SELECT (SELECT count(*) FROM session_notes WHERE session_id = ?)"
                           " + (SELECT count(*) FROM actions WHERE session_id = ?)", [session_id, session_id])

    @staticmethod
    def _action(r: sqlite3.Row) -> Action:
        due: datetime | date | None = None
        if r["due"]:
            due = date.fromisoformat(r["due"]) if r["due_all_day"] else parse_instant(r["due"])
        return Action(id=r["id"], session_id=r["session_id"], topic_id=r["topic_id"], person=r["person"],
                      person_id=r["person_id"], backend=r["backend"], text=r["text"], due=due,
                      overdue_at=parse_instant(r["overdue_at"]) if r["overdue_at"] else None,
                      created_by=r["created_by"], created_at=parse_instant(r["created_at"]),
                      done_at=parse_instant(r["done_at"]) if r["done_at"] else None, done_by=r["done_by"],
                      done_note=r["done_note"])

    def add_action(self, session_id: int | None, topic_id: int | None, person: str, person_id: str | None,
                   backend: str, text: str, due: datetime | date | None, overdue_at: datetime | None, by: str,
                   now: datetime) -> Action:
        if due is None:
            due_text, all_day = None, 0
        elif isinstance(due, datetime):
            due_text, all_day = iso(due), 0
        else:
            due_text, all_day = due.isoformat(), 1
        cur = self.db.execute(
            "INSERT INTO actions (session_id, topic_id, person, person_id, backend, text, due, due_all_day, overdue_at,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [session_id, topic_id, person, person_id, backend, text, due_text, all_day,
             iso(overdue_at) if overdue_at else None, by, iso(now)],
        )
        return _written(self.action(_new_id(cur)))

    def action(self, action_id: int) -> Action | None:
        row = self._one("SELECT * FROM actions WHERE id = ?", [action_id])
        return self._action(row) if row else None

    def actions(self, session_id: int | None = None) -> list[Action]:
        """Every action, or those agreed in one session, in the order they were made."""
        if session_id is None:
            return [self._action(r) for r in self._rows("SELECT * FROM actions ORDER BY id")]
        return [self._action(r) for r in self._rows("SELECT * FROM actions WHERE session_id = ? ORDER BY id", [session_id])]

    def open_actions(self) -> list[Action]:
        """Actions not done, the late ones first (the earliest late first), then the others
        by due date (those without one last), then in the order they were made."""
        return [self._action(r) for r in self._rows(
            "SELECT * FROM actions WHERE done_at IS NULL ORDER BY overdue_at IS NULL, overdue_at, id")]

    def open_actions_late_by(self, until: datetime) -> list[Action]:
        """Open actions already late at `until`."""
        return [self._action(r) for r in self._rows(
            "SELECT * FROM actions WHERE done_at IS NULL AND overdue_at IS NOT NULL AND overdue_at <= ?"
            " ORDER BY overdue_at, id", [iso(until)])]

    def mark_action_done(self, action_id: int, by: str, note: str | None, now: datetime) -> None:
        self.db.execute("UPDATE actions SET done_at = ?, done_by = ?, done_note = ? WHERE id = ?",
                        [iso(now), by, note, action_id])

    # ---- delivery: handled events, outbox, backend state, posts --------------------------------

    def was_handled(self, backend: str, event_id: str) -> bool:
        return self._one("SELECT 1 AS x FROM handled_events WHERE backend = ? AND event_id = ?", [backend, event_id]) is not None

    def mark_handled(self, backend: str, event_id: str, now: datetime) -> None:
        self.db.execute("INSERT OR IGNORE INTO handled_events (backend, event_id, handled_at) VALUES (?, ?, ?)",
                        [backend, event_id, iso(now)])

    def enqueue(self, send_key: str, backend: str, body_json: str, now: datetime, room: str | None = None,
                dm_user: str | None = None, reply_to: str | None = None, thread: str | None = None,
                reaction: str | None = None, poll: str | None = None) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO outbox (send_key, backend, room, dm_user, reply_to, thread, body, created_at, reaction,"
            " poll) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [send_key, backend, room, dm_user, reply_to, thread, body_json, iso(now), reaction, poll],
        )
        return cur.rowcount > 0

    def pending(self, backend: str, limit: int = 50, replies_to: str | None = None) -> list[dict[str, Any]]:
        """What is left to send, oldest first. With `replies_to` (an event id prefix), only the
        replies to those events and the posts: another console process on the same database
        shows its own replies."""
        if replies_to is None:
            return list(self.db.query(
                "SELECT * FROM outbox WHERE backend = ? AND sent_at IS NULL ORDER BY id LIMIT ?", [backend, limit]))
        pattern = replies_to.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return list(self.db.query(
            "SELECT * FROM outbox WHERE backend = ? AND sent_at IS NULL AND (reply_to IS NULL OR reply_to LIKE ? ESCAPE '\\')"
            " ORDER BY id LIMIT ?", [backend, pattern, limit]))

    def mark_sent(self, outbox_id: int, now: datetime, message_id: str | None = None) -> None:
        """Sent; `message_id` is the id the chat gave it, when it says."""
        self.db.execute("UPDATE outbox SET sent_at = ?, message_id = coalesce(?, message_id) WHERE id = ?",
                        [iso(now), message_id, outbox_id])

    def outbox_row(self, send_key: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM outbox WHERE send_key = ?", [send_key]))
        return rows[0] if rows else None

    def mark_failed(self, outbox_id: int, error: str) -> int:
        """Count a failed attempt; returns how many there have been."""
        self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", [error[:500], outbox_id])
        attempts: int = self.db.execute("SELECT attempts FROM outbox WHERE id = ?", [outbox_id]).fetchone()[0]
        return attempts

    def give_up(self, outbox_id: int, now: datetime) -> None:
        """Stop trying a message the chat keeps refusing, keeping it (and why) in the table."""
        self.db.execute("UPDATE outbox SET sent_at = ?, last_error = 'gave up: ' || coalesce(last_error, '') WHERE id = ?",
                        [iso(now), outbox_id])

    def state_get(self, backend: str, key: str) -> str | None:
        row = self._one("SELECT value FROM backend_state WHERE backend = ? AND key = ?", [backend, key])
        return row["value"] if row else None

    def state_set(self, backend: str, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO backend_state (backend, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (backend, key) DO UPDATE SET value = excluded.value",
            [backend, key, value],
        )

    def post_done(self, name: str) -> bool:
        return self._one("SELECT 1 AS x FROM posts WHERE name = ?", [name]) is not None

    def record_post(self, name: str, kind: str, due_at: datetime, now: datetime, outcome: str) -> None:
        self.db.execute("INSERT INTO posts (name, kind, due_at, done_at, outcome) VALUES (?, ?, ?, ?, ?)",
                        [name, kind, iso(due_at), iso(now), outcome])

    # ---- listening: what was heard, the modes, the reactions -------------------------------------

    @staticmethod
    def _heard(r: RowLike) -> Heard:
        return Heard(backend=r["backend"], message=r["message"], room=r["room"], author=r["author"], thread=r["thread"],
                     link=r["link"], lang=r["lang"], kind=r["kind"], proposal=json.loads(r["proposal"]), state=r["state"],
                     record_id=r["record_id"], written_at=parse_instant(r["written_at"]) if r["written_at"] else None,
                     at=parse_instant(r["at"]))

    def add_heard(self, heard: Heard) -> None:
        self.db.execute(
            "INSERT INTO heard (backend, message, room, author, thread, link, lang, kind, proposal, state, record_id,"
            " written_at, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [heard.backend, heard.message, heard.room, heard.author, heard.thread, heard.link, heard.lang, heard.kind,
             json.dumps(heard.proposal, ensure_ascii=False), heard.state, heard.record_id,
             iso(heard.written_at) if heard.written_at else None, iso(heard.at)],
        )

    def heard(self, backend: str, message: str) -> Heard | None:
        row = self._one("SELECT * FROM heard WHERE backend = ? AND message = ?", [backend, message])
        return self._heard(row) if row else None

    def update_heard(self, heard: Heard) -> None:
        """Write back what listening now makes of the message (its kind, proposal, state, record)."""
        self.db.execute(
            "UPDATE heard SET kind = ?, proposal = ?, state = ?, record_id = ?, written_at = ? WHERE backend = ? AND message = ?",
            [heard.kind, json.dumps(heard.proposal, ensure_ascii=False), heard.state, heard.record_id,
             iso(heard.written_at) if heard.written_at else None, heard.backend, heard.message],
        )

    def latest_suggestion(self, backend: str, room: str, thread: str | None = None) -> Heard | None:
        """The suggestion still waiting in that thread (or, without one, the room's latest)."""
        if thread is not None:
            row = self._one("SELECT * FROM heard WHERE backend = ? AND room = ? AND state = 'suggested'"
                            " AND (message = ? OR thread = ?) ORDER BY at DESC LIMIT 1", [backend, room, thread, thread])
        else:
            row = self._one("SELECT * FROM heard WHERE backend = ? AND room = ? AND state = 'suggested'"
                            " ORDER BY at DESC LIMIT 1", [backend, room])
        return self._heard(row) if row else None

    def listen_mode(self, backend: str, room: str) -> str | None:
        row = self._one("SELECT mode FROM listen_modes WHERE backend = ? AND room = ?", [backend, room])
        return row["mode"] if row else None

    def set_listen_mode(self, backend: str, room: str, mode: str, by: str, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO listen_modes (backend, room, mode, set_by, set_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (backend, room) DO UPDATE SET mode = excluded.mode, set_by = excluded.set_by,"
            " set_at = excluded.set_at", [backend, room, mode, by, iso(now)])

    def add_reaction(self, backend: str, room: str, target: str, emoji: str, person: str, event_id: str,
                     now: datetime) -> bool:
        """Record a reaction that stands; False when it was already known."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO reactions (backend, room, target, emoji, person, event_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [backend, room, target, emoji, person, event_id, iso(now)])
        return cur.rowcount > 0

    def take_reaction(self, backend: str, event_id: str) -> tuple[str, str, str] | None:
        """The reaction with that id taken back: (target, emoji, person), or None when no
        standing reaction has that id (a message's removal, say)."""
        row = self._one("SELECT target, emoji, person FROM reactions WHERE backend = ? AND event_id = ?", [backend, event_id])
        if row is None:
            return None
        self.db.execute("DELETE FROM reactions WHERE backend = ? AND event_id = ?", [backend, event_id])
        return row["target"], row["emoji"], row["person"]

    def drop_reaction(self, backend: str, target: str, emoji: str, person: str) -> None:
        """A reaction known to be gone (taken back while the bot was away)."""
        self.db.execute("DELETE FROM reactions WHERE backend = ? AND target = ? AND emoji = ? AND person = ?",
                        [backend, target, emoji, person])

    def reaction_by_id(self, backend: str, event_id: str) -> str | None:
        """The message a standing reaction with that id is on, or None."""
        row = self._one("SELECT target FROM reactions WHERE backend = ? AND event_id = ?", [backend, event_id])
        return row["target"] if row else None

    def reactions_on(self, backend: str, target: str) -> list[tuple[str, str]]:
        """The reactions standing on a message: (emoji, person), in the order they came."""
        return [(r["emoji"], r["person"]) for r in self._rows(
            "SELECT emoji, person FROM reactions WHERE backend = ? AND target = ? ORDER BY at, rowid", [backend, target])]

    # ---- date polls -------------------------------------------------------------------------

    def _poll(self, row: RowLike) -> Poll:
        poll = Poll(id=row["id"], meeting_id=row["meeting_id"], backend=row["backend"], room=row["room"], lang=row["lang"],
                    created_by=row["created_by"], created_at=parse_instant(row["created_at"]),
                    closes_at=parse_instant(row["closes_at"]), status=row["status"], start_key=row["start_key"],
                    chosen=row["chosen"], closed_at=parse_instant(row["closed_at"]) if row["closed_at"] else None,
                    closed_by=row["closed_by"])
        for r in self._rows("SELECT * FROM poll_options WHERE poll_id = ? ORDER BY position", [poll.id]):
            start: datetime | date = date.fromisoformat(r["start"]) if r["all_day"] else parse_instant(r["start"])
            poll.options.append(PollOption(r["position"], start, parse_instant(r["end"]) if r["end"] else None))
        # Every answer in the order given: each member's latest stays.
        for r in self._rows("SELECT person, choices FROM poll_answers WHERE poll_id = ? ORDER BY at, id", [poll.id]):
            poll.answers[r["person"]] = json.loads(r["choices"])
        return poll

    def add_poll(self, meeting_id: int, backend: str, room: str, lang: str, created_by: str, now: datetime,
                 closes_at: datetime, options: list[tuple[datetime | date, datetime | None]]) -> Poll:
        cur = self.db.execute(
            "INSERT INTO polls (meeting_id, backend, room, lang, created_by, created_at, closes_at, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'open')", [meeting_id, backend, room, lang, created_by, iso(now), iso(closes_at)])
        poll_id = _new_id(cur)
        for position, (start, end) in enumerate(options, 1):
            cols = self._when_columns(start, end)
            self.db.execute('INSERT INTO poll_options (poll_id, position, start, "end", all_day) VALUES (?, ?, ?, ?, ?)',
                            [poll_id, position, cols["start"], cols["end"], cols["all_day"]])
        return _written(self.poll(poll_id))

    def poll(self, poll_id: int) -> Poll | None:
        row = self._one("SELECT * FROM polls WHERE id = ?", [poll_id])
        return self._poll(row) if row else None

    def polls(self, statuses: tuple[str, ...] = ("open", "tied", "closed")) -> list[Poll]:
        marks = ",".join("?" * len(statuses))
        return [self._poll(r) for r in self._rows(f"SELECT * FROM polls WHERE status IN ({marks}) ORDER BY id", statuses)]

    def polls_for_meeting(self, meeting_id: int, statuses: tuple[str, ...] = ("open", "tied")) -> list[Poll]:
        marks = ",".join("?" * len(statuses))
        return [self._poll(r) for r in self._rows(
            f"SELECT * FROM polls WHERE meeting_id = ? AND status IN ({marks}) ORDER BY id", [meeting_id, *statuses])]

    def polls_due(self, until: datetime) -> list[Poll]:
        """Open polls whose deadline is at or before `until`, the earliest first."""
        return [self._poll(r) for r in self._rows(
            "SELECT * FROM polls WHERE status = 'open' AND closes_at <= ? ORDER BY closes_at, id", [iso(until)])]

    def next_poll_deadline(self) -> datetime | None:
        row = self._one("SELECT min(closes_at) AS at FROM polls WHERE status = 'open'")
        return parse_instant(row["at"]) if row and row["at"] else None

    def set_poll_start_key(self, poll_id: int, send_key: str) -> None:
        self.db.execute("UPDATE polls SET start_key = ? WHERE id = ?", [send_key, poll_id])

    def poll_by_message(self, backend: str, message_id: str) -> Poll | None:
        """The poll whose own message has that id in its chat."""
        row = self._one("SELECT polls.* FROM polls JOIN outbox ON outbox.send_key = polls.start_key"
                        " WHERE outbox.backend = ? AND outbox.message_id = ?", [backend, message_id])
        return self._poll(row) if row else None

    def poll_message_id(self, poll_id: int) -> str | None:
        row = self._one("SELECT outbox.message_id AS m FROM polls JOIN outbox ON outbox.send_key = polls.start_key"
                        " WHERE polls.id = ?", [poll_id])
        return row["m"] if row else None

    def set_poll_answer(self, poll_id: int, person: str, choices: list[int], at: datetime, via: str,
                        event_id: str | None = None) -> bool:
        """Record an answer `person` gave at `at`; False when they gave a later one already
        (it is kept all the same: a redaction of the later one makes it theirs again)."""
        later = self._one("SELECT 1 AS x FROM poll_answers WHERE poll_id = ? AND person = ? AND at > ?",
                          [poll_id, person, iso(at)])
        self.db.execute("INSERT INTO poll_answers (poll_id, person, choices, at, via, event_id) VALUES (?, ?, ?, ?, ?, ?)",
                        [poll_id, person, json.dumps(sorted(set(choices))), iso(at), via, event_id])
        return later is None

    def poll_answer_poll(self, backend: str, event_id: str) -> int | None:
        """The poll a chat's poll response (by its id) answered."""
        row = self._one("SELECT polls.id AS id FROM poll_answers JOIN polls ON polls.id = poll_answers.poll_id"
                        " WHERE poll_answers.event_id = ? AND polls.backend = ?", [event_id, backend])
        return row["id"] if row else None

    def take_poll_answer(self, poll_id: int, event_id: str) -> None:
        self.db.execute("DELETE FROM poll_answers WHERE poll_id = ? AND event_id = ?", [poll_id, event_id])

    def close_poll(self, poll_id: int, status: str, chosen: int | None, by: str | None, now: datetime) -> Poll:
        self.db.execute("UPDATE polls SET status = ?, chosen = ?, closed_at = ?, closed_by = ? WHERE id = ?",
                        [status, chosen, iso(now), by, poll_id])
        return _written(self.poll(poll_id))
