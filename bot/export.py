"""Everything out: the JSON form of PRODUCT.md (version 1), and the iCalendar file of
sessions, meetings and permanences that calendar programs import or subscribe to (the same
one for `chambre-bot export --format ics` and the web board's feed, bot/web/)."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.records import RSVP_ANSWERS, Action, Brick, Meeting, Permanence, Pledge, Poll, Rhythm, Session
from bot.services import permanences as permanence_svc
from bot.services import pledges as pledge_svc
from bot.services import sessions as session_svc
from storage.store import Store

if TYPE_CHECKING:
    from bot.records import Topic
    from bot.when import Recurrence

VERSION = 1


def _local(instant: datetime | None, tz: ZoneInfo) -> str | None:
    """A stored instant as the group reads it: local time with its offset, to the second
    ("2026-12-04T19:00:00+01:00")."""
    return None if instant is None else instant.astimezone(tz).isoformat(timespec="seconds")


def _meeting(m: Meeting, tz: ZoneInfo) -> dict[str, Any]:
    if isinstance(m.start, datetime):
        start, end = _local(m.start, tz), _local(m.end, tz)
    else:  # a day (all day, no end) or None (still to organise)
        start, end = (m.start.isoformat() if m.start else None), None
    return {"id": m.id, "title": m.title, "start": start, "end": end, "place": m.place, "status": m.status,
            "proposed_by": m.proposed_by, "room": m.room,
            # who answered what, by name: the order they answered in is not the export's business
            "rsvp": {answer: sorted(m.rsvp[answer]) for answer in RSVP_ANSWERS},
            **_source(m)}


def _source(record: Meeting | Permanence) -> dict[str, Any]:
    """Where a record came from: "command", "conversation" (listening: the message's id in
    its chat and its address) or "seed" (the group's page)."""
    return {"source": record.source or "command", "message": record.source_message, "link": record.source_link}


def _permanence(p: Permanence) -> dict[str, Any]:
    # A permanence's dates are written in its own zone, the one its rule repeats in.
    zone = permanence_svc.recurrence_of(p).dtstart.tzinfo
    return {"id": p.id, "title": p.title, "rrule": p.rrule, "dtstart": p.dtstart.isoformat(),
            "duration_minutes": p.duration_minutes, "place": p.place, "active": p.active,
            "cancelled": [c.astimezone(zone).isoformat() for c in p.cancelled],
            "hosts": {occ.astimezone(zone).isoformat(): people for occ, people in sorted(p.hosts.items())},
            **_source(p)}


def _brick(br: Brick, tz: ZoneInfo) -> dict[str, Any]:
    return {"id": br.id, "name": br.name, "category": br.category, "status": br.status,
            "description": br.description, "lead": br.lead,
            "links": [{"url": link.url, "label": link.label} for link in br.links],
            "history": [{"at": _local(h.at, tz), "by": h.by, "status": h.status, "note": h.note} for h in br.history]}


def _pledge(p: Pledge, tz: ZoneInfo) -> dict[str, Any]:
    # Everything, what the chat keeps private too, marked with its visibility: the export is
    # an operator's backup.
    return {"id": p.id, "person": p.person, "amount_cents": p.amount_cents, "currency": p.currency,
            "months": p.months, "brick": p.brick_id, "visibility": p.visibility, "started": _local(p.started_at, tz),
            "last_day": pledge_svc.last_day(p).isoformat(), "ended": _local(p.stopped_at, tz),
            "end_reason": p.end_reason, "replaces": p.replaces, "reminders": p.reminders, "room": p.room,
            "lang": p.lang}


def _session(store: Store, s: Session, tz: ZoneInfo) -> dict[str, Any]:
    """A session with its minutes: who was there, the topics gone through, what was said."""
    m = session_svc.minutes(store, s)
    return {"id": s.id, "title": s.title, "date": s.day.isoformat(), "place": s.place, "meeting": s.meeting_id,
            "room": s.room, "chair": s.chair, "opened_at": _local(s.opened_at, tz), "closed_at": _local(s.closed_at, tz),
            "closed_by": s.closed_by, "closed_by_itself": s.closed_at is not None and s.closed_by is None,
            "present": [{"person": p.person, "how": p.how} for p in m.present],
            "topics": [{"topic": t.topic_id, "text": t.text, "discussed": t.discussed_at is not None} for t in m.topics],
            "notes": [{"kind": n.kind, "text": n.text, "by": n.by, "at": _local(n.at, tz), "topic": n.topic_id,
                       "brick": n.brick_id} for n in m.notes]}


def _action(a: Action, tz: ZoneInfo) -> dict[str, Any]:
    # Due a moment: local time; due a day: the day alone.
    due = _local(a.due, tz) if isinstance(a.due, datetime) else (a.due.isoformat() if a.due else None)
    return {"id": a.id, "session": a.session_id, "topic": a.topic_id, "person": a.person, "person_id": a.person_id,
            "text": a.text, "due": due, "created_by": a.created_by, "created_at": _local(a.created_at, tz),
            "done": a.done_at is not None, "done_at": _local(a.done_at, tz), "done_by": a.done_by, "note": a.done_note}


def _when(start: datetime | date, end: datetime | None, tz: ZoneInfo) -> dict[str, Any]:
    if isinstance(start, datetime):
        return {"start": _local(start, tz), "end": _local(end, tz)}
    return {"start": start.isoformat(), "end": None}


def _poll(p: Poll, tz: ZoneInfo) -> dict[str, Any]:
    return {"id": p.id, "meeting": p.meeting_id, "status": p.status, "created_by": p.created_by,
            "created": _local(p.created_at, tz), "closes": _local(p.closes_at, tz), "room": p.room,
            "options": [{"position": o.position, **_when(o.start, o.end, tz)} for o in p.options],
            # each member's latest answer, by name (the positions they chose)
            "answers": {person: chosen for person, chosen in sorted(p.answers.items())},
            "chosen": p.chosen, "closed": _local(p.closed_at, tz), "closed_by": p.closed_by}


def export_json(store: Store, config: Config) -> dict[str, Any]:
    """The JSON export (version 1 of PRODUCT.md): every record, instants in the configured
    zone. Read in the caller's transaction, so that it is one consistent picture."""
    tz = config.chambre.tz
    return {
        "version": VERSION,
        "meetings": [_meeting(m, tz) for m in store.meetings_by_number()],
        "permanences": [_permanence(p) for p in store.permanences()],
        "bricks": [_brick(br, tz) for br in store.bricks(full=True)],
        "topics": [{"id": t.id, "text": t.text, "added_by": t.added_by, "done": t.done}
                   for t in store.topics(include_done=True)],
        "pledges": [_pledge(p, tz) for p in store.pledges()],
        "sessions": [_session(store, s, tz) for s in store.sessions()],
        "actions": [_action(a, tz) for a in store.actions()],
        "polls": [_poll(p, tz) for p in store.polls()],
    }


def export_json_text(store: Store, config: Config) -> str:
    """The JSON export as one line of text."""
    return json.dumps(export_json(store, config), ensure_ascii=False)


# ---- iCalendar ---------------------------------------------------------------------------------
#
# The events are written line by line here (RFC 5545's escaping and folding, below) rather than
# through icalendar's Event objects: icalendar 7 spends about 1 ms on each event, 10 s for a
# group with 10,000 meetings, where these lines take a few milliseconds. icalendar still
# builds the zone (bot/ical_zone.py), and reads the result back in the tests, a reader that
# shares nothing with this writer.

_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {127: None}
_DEFAULT_LENGTH = timedelta(hours=1)  # a meeting or session typed without its end
_FOREVER = datetime(9999, 1, 1, tzinfo=timezone.utc)


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): control characters, which the format forbids, are
    dropped; backslashes, semicolons, commas and line breaks are escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """A content line cut into lines of at most 75 octets, each further one starting with a
    space, never inside a character's UTF-8 bytes (RFC 5545 §3.1)."""
    if len(line) <= 18 or len(line.encode("utf-8")) <= 75:  # 18 characters are at most 72 octets
        return line + "\r\n"
    out: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


# Written by hand: datetime.strftime costs ten times as much, and a large calendar has
# tens of thousands of them.
def _ical_time(at: datetime) -> str:
    return f"{at.year:04d}{at.month:02d}{at.day:02d}T{at.hour:02d}{at.minute:02d}{at.second:02d}"


def _utc(at: datetime) -> str:
    return _ical_time(at.astimezone(timezone.utc)) + "Z"


def _at(name: str, at: datetime | date, zone: ZoneInfo) -> str:
    """A DTSTART-like line: a day, or a local time with its zone. A wall time the zone shows
    twice (the autumn hour) is written in UTC: with a zone, it would name the first one."""
    if not isinstance(at, datetime):
        return f"{name};VALUE=DATE:{at.year:04d}{at.month:02d}{at.day:02d}"
    local = at.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return f"{name}:{_utc(at)}"
    return f"{name};TZID={zone.key}:{_ical_time(local)}"


def _wall_time(rec: Recurrence, occurrence: datetime) -> datetime:
    """An occurrence as its rule writes it on the wall clock, which is how a calendar matches
    an EXDATE to it: on the day summer time begins, 02:30 (which the zone skips, and which
    the bot holds at 03:30) is still 02:30 with the zone's name."""
    zone = rec.dtstart.tzinfo
    local = occurrence.astimezone(zone)
    if local.time() == rec.dtstart.time():  # every day but those of the spring gap
        return local
    for day in (local.date(), local.date() - timedelta(days=1)):
        nominal = datetime.combine(day, rec.dtstart.time()).replace(tzinfo=zone)
        if nominal.astimezone(timezone.utc) == occurrence.astimezone(timezone.utc):
            return nominal
    return local


def _wall(rec: Recurrence, occurrence: datetime) -> str:
    return _ical_time(_wall_time(rec, occurrence))


@functools.lru_cache(maxsize=32)
def _zone_text(name: str, year: int) -> str:
    """The VTIMEZONE of `name` from the year before `year` on (bot/ical_zone.py), as text."""
    from bot.ical_zone import vtimezone

    text: str = vtimezone(name, date(year, 1, 1)).to_ical().decode("utf-8")
    return text


@dataclass(frozen=True)
class CalendarView:
    """How the calendar speaks: the language of its descriptions, the board's address (each
    meeting then links to its page), and whether members are named."""

    lang: str = "fr"
    base_url: str | None = None
    show_names: bool = True


def _t(view: CalendarView, fr: str, en: str) -> str:
    return en if view.lang == "en" else fr


def person(view: CalendarView, who: str) -> str:
    return who if view.show_names else _t(view, "un·e membre", "a member")


def people(view: CalendarView, who: list[str]) -> str:
    if view.show_names:
        return ", ".join(who)
    if len(who) == 1:
        return person(view, who[0])
    return _t(view, f"{len(who)} membres", f"{len(who)} members")


class _Event:
    """One VEVENT's lines, in order."""

    def __init__(self, uid: str, stamp: datetime, sequence: int) -> None:
        # Published without a METHOD, DTSTAMP is when the record was last revised
        # (RFC 5545 §3.8.7.2), like LAST-MODIFIED: the same records give the same file.
        self.lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{_utc(stamp)}", f"LAST-MODIFIED:{_utc(stamp)}",
                      f"SEQUENCE:{sequence}"]

    def add(self, line: str) -> "_Event":
        self.lines.append(line)
        return self

    def text(self, name: str, value: str | None) -> "_Event":
        if value:
            self.lines.append(f"{name}:{_text(value)}")
        return self

    def done(self) -> str:
        self.lines.append("END:VEVENT")
        return "".join(_fold(line) for line in self.lines)


def _zone(rec: Recurrence) -> ZoneInfo:
    zone = rec.dtstart.tzinfo
    assert isinstance(zone, ZoneInfo)  # bot/when reads every rule in a named zone
    return zone


def _session_events(rhythm: Rhythm, topics: list[Topic], topics_at: datetime | None, view: CalendarView) -> str:
    from bot.services import rhythm as rhythm_svc

    rec = rhythm_svc.recurrence_of(rhythm)
    zone = _zone(rec)
    stamp = max(filter(None, (rhythm.set_at, topics_at)), default=rhythm.dtstart)
    lines = [_t(view, "Ordre du jour :", "Topics:")]
    lines += [f"- {t.text} ({person(view, t.added_by)})" for t in topics] or [_t(view, "(vide pour l'instant)", "(none yet)")]
    if view.base_url:
        lines += ["", view.base_url + "/"]
    ev = _Event("sessions@chambre-bot", stamp, rhythm.sequence)
    ev.text("SUMMARY", _t(view, "Séance de la Chambre des Communs", "Chambre des Communs session"))
    ev.add(_at("DTSTART", rec.dtstart, zone)).add(_at("DTEND", rec.dtstart + (rec.duration or _DEFAULT_LENGTH), zone))
    ev.add(f"RRULE:{rec.rrule}")
    ev.text("LOCATION", rhythm.place).text("DESCRIPTION", "\n".join(lines))
    if view.base_url:
        ev.add(f"URL:{view.base_url}/")
    return ev.done()


_STATUS = {"proposed": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}
_STATUS_TEXT = {"proposed": ("Proposée, pas encore confirmée.", "Proposed, not confirmed yet."),
                "confirmed": ("Confirmée.", "Confirmed."), "cancelled": ("Annulée.", "Cancelled.")}


def _meeting_event(m: Meeting, zone: ZoneInfo, view: CalendarView) -> str:
    ev = _Event(f"meeting-{m.id}@chambre-bot", m.updated_at or m.created_at, m.sequence)
    ev.text("SUMMARY", m.title)
    assert m.start is not None  # export_ics leaves out the meetings still to organise
    if isinstance(m.start, datetime):
        ev.add(_at("DTSTART", m.start, zone)).add(_at("DTEND", m.end or m.start + _DEFAULT_LENGTH, zone))
    else:
        ev.add(_at("DTSTART", m.start, zone)).add(_at("DTEND", m.start + timedelta(days=1), zone))
    ev.add(f"STATUS:{_STATUS[m.status]}")
    fr, en = _STATUS_TEXT[m.status]
    lines = [_t(view, fr, en)]
    if m.status == "cancelled" and m.cancel_reason:
        lines.append(m.cancel_reason)
    lines.append(_t(view, "Proposée par ", "Proposed by ") + person(view, m.proposed_by))
    url = f"{view.base_url}/reunions/{m.id}" if view.base_url else None
    if url:
        lines += ["", url]
    ev.text("LOCATION", m.place).text("DESCRIPTION", "\n".join(lines))
    if url:
        ev.add(f"URL:{url}")
    return ev.done()


def _permanence_events(p: Permanence, changed: tuple[datetime, int] | None, view: CalendarView, prefix: str,
                       hosts_from: datetime | None = None) -> str:
    """The series, then one event per hosted date (RECURRENCE-ID, from `hosts_from` on)
    saying who holds it."""
    rec = permanence_svc.recurrence_of(p)
    zone = _zone(rec)
    stamp, sequence = changed or (p.dtstart, len(p.cancelled))
    length = timedelta(minutes=p.duration_minutes) if p.duration_minutes else _DEFAULT_LENGTH
    uid = f"permanence-{p.id}@chambre-bot"
    nobody = _t(view, f"Les dates tenues par quelqu'un le disent. Pour en tenir une : « {prefix}permanence tenir {p.id} ; <date> ».",
                f"The dates someone hosts say who. To host one: \"{prefix}permanence host {p.id} ; <date>\".")

    def event(start: datetime, description: str, recurrence_id: str | None = None) -> _Event:
        ev = _Event(uid, stamp, sequence)
        if recurrence_id:
            ev.add(f"RECURRENCE-ID;TZID={zone.key}:{recurrence_id}")
        ev.text("SUMMARY", p.title).add(_at("DTSTART", start, zone)).add(_at("DTEND", start + length, zone))
        return ev.text("LOCATION", p.place).text("DESCRIPTION", description)

    series = event(rec.dtstart, nobody).add(f"RRULE:{rec.rrule}")
    for cancelled in p.cancelled:
        series.add(f"EXDATE;TZID={zone.key}:{_wall(rec, cancelled)}")
    out = [series.done()]
    skipped = set(p.cancelled)
    for occurrence, hosts in sorted(p.hosts.items()):
        if occurrence in skipped or not hosts or hosts_from is not None and occurrence < hosts_from:
            continue
        said = _t(view, "Tenue par ", "Hosted by ") + people(view, hosts) + "."
        out.append(event(occurrence, said, _wall(rec, occurrence)).done())
    return "".join(out)


def export_ics(store: Store, config: Config, now: datetime, view: CalendarView | None = None,
               since: datetime | None = None, hosts_from: datetime | None = None) -> bytes:
    """The group's calendar: the sessions (the rhythm's rule, the open topics in the
    description), every dated meeting (proposed ones TENTATIVE, cancelled ones CANCELLED),
    and each active permanence (its rule in local time, cancelled dates as EXDATEs, the
    hosts of each hosted date). Times are local with their zone, whose VTIMEZONE holds for
    every year ahead. UIDs are the records' own; SEQUENCE rises when a time or status
    changes; DTSTAMP and LAST-MODIFIED are when each record last changed: the same records
    give the same bytes. A calendar without any event still has the group's zone, from the
    year before `now` (the bot's clock) on, so that it is a valid one (RFC 5545 wants one
    component).

    With `since`, meetings before it are left out, and with `hosts_from`, the hosts of dates
    before it (the web feed keeps a year of meetings and the hosts of the dates to come: a
    calendar program has no use for twenty years of past meetings, and each costs its share
    of every rebuild); the series are whole whatever they are."""
    view = view or CalendarView(lang=config.chambre.language)
    zone = config.chambre.tz
    first: dict[str, date] = {}  # zone -> the first day it is needed

    def needs(name: str, day: date) -> None:
        first[name] = min(first.get(name, day), day)

    events: list[str] = []
    rhythm = store.rhythm()
    if rhythm is not None:
        events.append(_session_events(rhythm, store.topics(), store.topics_changed_at(), view))
        needs(rhythm.tz, rhythm.dtstart.date())
    if since is None:
        meetings = store.meetings_by_number()
    else:
        meetings = store.meetings_between(since, _FOREVER, statuses=tuple(_STATUS))
    for m in meetings:
        if m.start is None:
            continue  # still to organise: nothing to put in a calendar yet
        events.append(_meeting_event(m, zone, view))
        if isinstance(m.start, datetime):
            needs(zone.key, m.start.date())
    changes = store.permanence_changes()
    for p in store.permanences(active_only=True):
        events.append(_permanence_events(p, changes.get(p.id), view, config.chambre.prefix, hosts_from))
        needs(p.tz, p.dtstart.date())
    if not first:
        needs(zone.key, now.astimezone(zone).date())

    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Chambre des Communs de Lille//chambre-bot//FR",
            "CALSCALE:GREGORIAN", "X-WR-CALNAME:Chambre des Communs",
            # subscribed calendars: how often to look again (RFC 7986 and the common X- form)
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    parts = ["".join(_fold(line) for line in head)]
    parts += [_zone_text(name, day.year) for name, day in sorted(first.items())]
    parts += events
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode("utf-8")
