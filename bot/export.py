"""Everything out: the JSON form of PRODUCT.md (version 1), and an iCalendar file of meetings
and permanences (an RRULE each) that calendar programs import."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.config import Config
from bot.services import permanences as permanence_svc
from bot.services import sessions as session_svc
from storage.store import Store

VERSION = 1


def export_json_text(store: Store, config: Config) -> str:
    """The JSON export as text: built by SQLite (storage/export_sql.py), a few permanences by hand."""
    import json

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
    sessions, actions = sessions_and_actions(store, config)
    return (f'{{"version": {VERSION}, "meetings": {parts["meetings"]}, '
            f'"permanences": {json.dumps(permanences, ensure_ascii=False)}, '
            f'"bricks": {parts["bricks"]}, "topics": {parts["topics"]}, '
            f'"sessions": {json.dumps(sessions, ensure_ascii=False)}, "actions": {json.dumps(actions, ensure_ascii=False)}}}')


def sessions_and_actions(store: Store, config: Config) -> tuple[list[dict], list[dict]]:
    """The sessions with their minutes, and every action, instants in local time."""
    tz = config.chambre.tz

    def local(at: datetime | None) -> str | None:
        return at.astimezone(tz).isoformat() if at is not None else None

    sessions = []
    for s in store.sessions():
        m = session_svc.minutes(store, s)
        sessions.append({
            "id": s.id, "title": s.title, "date": s.day.isoformat(), "place": s.place, "meeting": s.meeting_id,
            "room": s.room, "chair": s.chair, "opened_at": local(s.opened_at), "closed_at": local(s.closed_at),
            "closed_by": s.closed_by, "closed_by_itself": s.closed_at is not None and s.closed_by is None,
            "present": [{"person": p.person, "how": p.how} for p in m.present],
            "topics": [{"topic": t.topic_id, "text": t.text, "discussed": t.discussed_at is not None} for t in m.topics],
            "notes": [{"kind": n.kind, "text": n.text, "by": n.by, "at": local(n.at), "topic": n.topic_id,
                       "brick": n.brick_id} for n in m.notes],
        })
    actions = [{
        "id": a.id, "session": a.session_id, "topic": a.topic_id, "person": a.person, "person_id": a.person_id,
        "text": a.text, "due": local(a.due) if isinstance(a.due, datetime) else (a.due.isoformat() if a.due else None),
        "created_by": a.created_by, "created_at": local(a.created_at), "done": a.done_at is not None,
        "done_at": local(a.done_at), "done_by": a.done_by, "note": a.done_note,
    } for a in store.actions()]
    return sessions, actions


def export_json(store: Store, config: Config) -> dict:
    """The JSON export (version 1 of PRODUCT.md) as a dict."""
    import json

    return json.loads(export_json_text(store, config))


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


def export_ics(store: Store, config: Config) -> bytes:
    """Meetings (in UTC) and active permanences (an RRULE each, in local time with the zone's
    VTIMEZONE, cancelled dates as EXDATEs). The group's own zone is always there, so that a
    calendar without any event is still a valid one (RFC 5545 wants one component)."""
    from icalendar import Calendar, Event, vRecur

    from bot.ical_zone import vtimezone

    cal = Calendar()
    cal.add("prodid", "-//Chambre des Communs de Lille//chambre-bot//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Chambre des Communs")
    stamp = datetime.now(timezone.utc)
    zones: dict[str, date] = {config.chambre.timezone: stamp.date()}  # zone -> the first day it is needed
    events = []
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
