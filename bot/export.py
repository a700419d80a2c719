"""Everything out: the JSON form of PRODUCT.md (version 1), and an iCalendar file of meetings
and permanences (an RRULE each) that calendar programs import."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.config import Config
from bot.services import permanences as permanence_svc
from storage.store import Store

VERSION = 1


def _iso(value: datetime | date | None, tz) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    return value.isoformat()


def export_json(store: Store, config: Config) -> dict:
    tz = config.chambre.tz
    meetings = [
        {"id": m.id, "title": m.title, "start": _iso(m.start, tz), "end": _iso(m.end, tz), "place": m.place,
         "status": m.status, "proposed_by": m.proposed_by, "room": m.room, "rsvp": m.rsvp}
        for m in store.meetings(order="id")
    ]
    permanences = []
    for p in store.permanences():
        perm_tz = permanence_svc.recurrence_of(p).dtstart.tzinfo
        permanences.append({
            "id": p.id, "title": p.title, "rrule": p.rrule, "dtstart": p.dtstart.isoformat(),
            "duration_minutes": p.duration_minutes, "place": p.place, "active": p.active,
            "cancelled": [c.astimezone(perm_tz).isoformat() for c in p.cancelled],
            "hosts": {occ.astimezone(perm_tz).isoformat(): people for occ, people in sorted(p.hosts.items())},
        })
    bricks = [
        {"id": br.id, "name": br.name, "category": br.category, "status": br.status, "description": br.description,
         "lead": br.lead, "links": [{"url": l.url, "label": l.label} for l in br.links],
         "history": [{"at": _iso(h.at, tz), "by": h.by, "status": h.status, "note": h.note} for h in br.history]}
        for br in store.bricks(full=True)
    ]
    topics = [{"id": t.id, "text": t.text, "added_by": t.added_by, "done": t.done} for t in store.topics(include_done=True)]
    return {"version": VERSION, "meetings": meetings, "permanences": permanences, "bricks": bricks, "topics": topics}


def export_ics(store: Store, config: Config) -> bytes:
    from icalendar import Calendar, Event, vRecur

    cal = Calendar()
    cal.add("prodid", "-//Chambre des Communs de Lille//chambre-bot//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Chambre des Communs")
    stamp = datetime.now(timezone.utc)
    for m in store.meetings(order="id"):
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
        cal.add_component(ev)
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
            ev.add("exdate", cancelled.astimezone(rec.dtstart.tzinfo))
        if p.place:
            ev.add("location", p.place)
        cal.add_component(ev)
    try:
        cal.add_missing_timezones()
    except Exception:  # older icalendar without it: TZID with the zone name still imports widely
        pass
    return cal.to_ical()
