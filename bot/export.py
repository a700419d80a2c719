"""Everything out: the JSON form of PRODUCT.md (version 1), and an iCalendar file of meetings
and permanences (an RRULE each) that calendar programs import."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.records import RSVP_ANSWERS, Brick, Meeting, Permanence, Pledge, Poll
from bot.services import permanences as permanence_svc
from bot.services import pledges as pledge_svc
from storage.store import Store

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
        "polls": [_poll(p, tz) for p in store.polls()],
    }


def export_json_text(store: Store, config: Config) -> str:
    """The JSON export as one line of text."""
    return json.dumps(export_json(store, config), ensure_ascii=False)


def _wall_time(rec, occurrence: datetime) -> datetime:
    """An occurrence as its rule writes it on the wall clock, which is how a calendar matches
    an EXDATE to it: on the day summer time begins, 02:30 (which the zone skips, and which
    the bot holds at 03:30) is still 02:30 with the zone's name."""
    zone = rec.dtstart.tzinfo
    local = occurrence.astimezone(zone)
    for day in (local.date(), local.date() - timedelta(days=1)):
        nominal = datetime.combine(day, rec.dtstart.time()).replace(tzinfo=zone)
        if nominal.astimezone(timezone.utc) == occurrence.astimezone(timezone.utc):
            return nominal
    return local


def export_ics(store: Store, config: Config, now: datetime) -> bytes:
    """Meetings (in UTC) and active permanences (an RRULE each, in local time with the zone's
    VTIMEZONE, cancelled dates as EXDATEs), stamped `now` (the bot's clock). The group's own
    zone is always there, so that a calendar without any event is still a valid one (RFC 5545
    wants one component)."""
    from icalendar import Calendar, Event, vRecur

    from bot.ical_zone import vtimezone

    cal = Calendar()
    cal.add("prodid", "-//Chambre des Communs de Lille//chambre-bot//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Chambre des Communs")
    stamp = now.astimezone(timezone.utc)
    zones: dict[str, date] = {config.chambre.timezone: stamp.date()}  # zone -> the first day it is needed
    events = []
    for m in store.meetings_by_number():
        if m.start is None:
            continue  # still to organise: nothing to put in a calendar yet
        ev = Event()
        ev.add("uid", f"meeting-{m.id}@chambre-bot")
        ev.add("dtstamp", stamp)
        ev.add("summary", m.title)
        if isinstance(m.start, datetime):
            ev.add("dtstart", m.start.astimezone(timezone.utc))
            ev.add("dtend", (m.end or m.start + timedelta(hours=1)).astimezone(timezone.utc))
        else:
            ev.add("dtstart", m.start)
            ev.add("dtend", m.start + timedelta(days=1))
        if m.place:
            ev.add("location", m.place)
        ev.add("status", {"proposed": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}[m.status])
        events.append(ev)
    for p in store.permanences():
        if not p.active:
            continue
        rec = permanence_svc.recurrence_of(p)
        ev = Event()
        ev.add("uid", f"permanence-{p.id}@chambre-bot")
        ev.add("dtstamp", stamp)
        ev.add("summary", p.title)
        ev.add("dtstart", rec.dtstart)  # local time with its TZID: the rule repeats in local time
        ev.add("dtend", rec.dtstart + timedelta(minutes=p.duration_minutes or 60))
        ev.add("rrule", vRecur.from_ical(p.rrule))
        for cancelled in p.cancelled:
            ev.add("exdate", _wall_time(rec, cancelled))
        if p.place:
            ev.add("location", p.place)
        events.append(ev)
        zones[p.tz] = min(zones.get(p.tz, rec.dtstart.date()), rec.dtstart.date())
    for name, first in sorted(zones.items()):
        cal.add_component(vtimezone(name, first))
    for ev in events:
        cal.add_component(ev)
    return cal.to_ical()
