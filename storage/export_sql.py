"""The JSON export built by SQLite itself.

10,000 meetings and 10,000 brick history entries make a 4 MB document; building Python
dicts and converting 20,000 instants one by one takes hundreds of milliseconds. SQLite's
json functions build the same text in C. Instants are stored in UTC; they are shown in local
time with their offset, through a small table of the zone's offset changes over the years the
data spans (`local_instants`), so "2026-12-04T18:00:00+00:00" exports as
"2026-12-04T19:00:00+01:00" and DST is right on both sides of each switch.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlite_utils


def _offset_label(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@functools.lru_cache(maxsize=16)
def offset_changes(zone: str, first_year: int, last_year: int) -> tuple[tuple[str, int, str], ...]:
    """(UTC instant from which it holds, offset in seconds, "+01:00") for the zone, covering
    the given years. Month starts are compared and each change is found by halving the
    interval down to the second: a few hundred lookups, cached."""
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> timedelta:
        return at.astimezone(tz).utcoffset() or timedelta(0)

    start = datetime(first_year - 1, 12, 1, tzinfo=timezone.utc)
    changes = [(start, offset(start))]
    cursor = start
    while cursor.year <= last_year:
        nxt = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        if offset(nxt) != offset(cursor):
            lo, hi = cursor, nxt
            while (hi - lo) > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if offset(mid) == offset(lo):
                    lo = mid
                else:
                    hi = mid
            changes.append((hi.replace(microsecond=0), offset(hi)))
        cursor = nxt
    rows = [("0000-01-01T00:00:00+00:00", int(changes[0][1].total_seconds()), _offset_label(changes[0][1]))]
    rows += [(at.isoformat(), int(off.total_seconds()), _offset_label(off)) for at, off in changes[1:]]
    return tuple(rows)


def _zone_years(db: sqlite_utils.Database) -> tuple[int, int]:
    span = db.execute(
        "SELECT min(y), max(y) FROM (SELECT substr(min(start), 1, 4) AS y FROM meetings WHERE all_day = 0"
        " UNION ALL SELECT substr(max(coalesce(\"end\", start)), 1, 4) FROM meetings WHERE all_day = 0"
        " UNION ALL SELECT substr(min(at), 1, 4) FROM brick_history UNION ALL SELECT substr(max(at), 1, 4) FROM brick_history)"
        " WHERE y IS NOT NULL"
    ).fetchone()
    return (int(span[0]), int(span[1])) if span[0] else (2026, 2026)


class Zone:
    """SQL expressions for a zone's local time at a stored UTC instant: a CASE over the few
    offset changes in the years the data spans (ISO UTC text compares in time order), so each
    instant costs a handful of comparisons in C and no subquery."""

    def __init__(self, zone: str, first_year: int, last_year: int) -> None:
        self.changes = offset_changes(zone, first_year, last_year)

    def seconds(self, column: str) -> str:
        """The offset in seconds at `column`: a balanced tree of comparisons (about six per
        instant for twenty years of summer and winter times)."""

        def tree(lo: int, hi: int) -> str:  # changes[lo:hi], the answer is among them
            if hi - lo == 1:
                return str(self.changes[lo][1])
            mid = (lo + hi) // 2
            return f"CASE WHEN {column} < '{self.changes[mid][0]}' THEN {tree(lo, mid)} ELSE {tree(mid, hi)} END"

        return f"({tree(0, len(self.changes))})"

    def local(self, column: str, seconds: str) -> str:
        """Local ISO text of `column` (whole seconds, like Python's isoformat of a stored
        instant without its microseconds), given the SQL of its offset in seconds."""
        labels = " ".join(f"WHEN {secs} THEN '{label}'" for secs, label in sorted({(c[1], c[2]) for c in self.changes}))
        return (f"CASE WHEN {column} IS NULL THEN NULL ELSE"
                f" replace(datetime(substr({column}, 1, 19), {seconds} || ' seconds'), ' ', 'T')"
                f" || (CASE {seconds} {labels} END) END")


# Rows are written as JSON text by concatenation with json_quote (which escapes and turns
# NULL into null): json_object and json() would parse every nested piece again.

def _array(items_sql: str) -> str:
    return f"'[' || coalesce({items_sql}, '') || ']'"


def _fields(*pairs: tuple[str, str]) -> str:
    """'{"k": <sql>, ...}' from (key, SQL already yielding JSON text) pairs."""
    parts = []
    for i, (key, value) in enumerate(pairs):
        sep = "{" if i == 0 else ", "
        parts.append(f"'{sep}\"{key}\": ' || {value}")
    return " || ".join(parts) + " || '}'"


def _meeting_row(zone: Zone) -> str:
    """SQL of one meeting's JSON text, for a row `m` of meetings."""
    def answered(a: str) -> str:
        return _array(f"group_concat(CASE answer WHEN '{a}' THEN json_quote(person) END, ', ')")

    # A meeting's answers come from one range of the RSVP table's key (meeting, person).
    rsvp = _fields(("yes", answered("yes")), ("no", answered("no")), ("maybe", answered("maybe")))
    start, end = "m.start", 'm."end"'
    return _fields(
        ("id", "m.id"), ("title", "json_quote(m.title)"),
        ("start", f"json_quote(CASE WHEN m.all_day THEN m.start ELSE {zone.local(start, zone.seconds(start))} END)"),
        ("end", f"json_quote(CASE WHEN m.all_day THEN NULL ELSE {zone.local(end, zone.seconds(end))} END)"),
        ("place", "json_quote(m.place)"), ("status", "json_quote(m.status)"),
        ("proposed_by", "json_quote(m.proposed_by)"), ("room", "json_quote(m.room)"),
        ("rsvp", f"(SELECT {rsvp} FROM rsvps r WHERE r.meeting_id = m.id)"),
    )


def _brick_row(zone: Zone) -> str:
    """SQL of one brick's JSON text, for a row `b` of bricks."""
    entry = _fields(("at", f"json_quote({zone.local('h.at', zone.seconds('h.at'))})"), ("by", "json_quote(h.by)"),
                    ("status", "json_quote(h.status)"), ("note", "json_quote(h.note)"))
    link = _fields(("url", "json_quote(l.url)"), ("label", "json_quote(l.label)"))
    links = _array(f"(SELECT group_concat({link}, ', ') FROM (SELECT * FROM brick_links l WHERE l.brick_id = b.id ORDER BY l.id) l)")
    history = _array(f"(SELECT group_concat({entry}, ', ') FROM (SELECT * FROM brick_history h WHERE h.brick_id = b.id ORDER BY h.id) h)")
    return _fields(
        ("id", "b.id"), ("name", "json_quote(b.name)"), ("category", "json_quote(b.category)"),
        ("status", "json_quote(b.status)"), ("description", "json_quote(b.description)"),
        ("lead", "json_quote(b.lead)"), ("links", links), ("history", history),
    )


def _cached(db: sqlite_utils.Database, table: str, alias: str, row_sql: str) -> str:
    """Fill the cleared export texts of `table`, then join them all in id order."""
    db.execute(f"UPDATE {table} AS {alias} SET export = {row_sql} WHERE {alias}.export IS NULL")
    joined = _array("group_concat(export, ', ')")
    return db.execute(f"SELECT {joined} FROM (SELECT export FROM {table} ORDER BY id)").fetchone()[0]


def topics_json(db: sqlite_utils.Database) -> str:
    row = _fields(("id", "t.id"), ("text", "json_quote(t.text)"), ("added_by", "json_quote(t.added_by)"),
                  ("done", "CASE WHEN t.done THEN 'true' ELSE 'false' END"))
    items = _array("group_concat(j, ', ')")
    return db.execute(f"SELECT {items} FROM (SELECT {row} AS j FROM topics t ORDER BY t.id)").fetchone()[0]


def records_json(db: sqlite_utils.Database, zone: str) -> dict[str, str]:
    """JSON texts of the meetings, bricks and topics, in one transaction. The cached texts
    are in the zone they were written in: a change of zone clears them all."""
    with db.atomic():
        row = db.execute("SELECT value FROM backend_state WHERE backend = 'export' AND key = 'zone'").fetchone()
        if row is None or row[0] != zone:
            db.execute("UPDATE meetings SET export = NULL")
            db.execute("UPDATE bricks SET export = NULL")
            db.execute("INSERT INTO backend_state (backend, key, value) VALUES ('export', 'zone', ?)"
                       " ON CONFLICT (backend, key) DO UPDATE SET value = excluded.value", [zone])
        local = Zone(zone, *_zone_years(db))
        return {"meetings": _cached(db, "meetings", "m", _meeting_row(local)),
                "bricks": _cached(db, "bricks", "b", _brick_row(local)),
                "topics": topics_json(db)}
