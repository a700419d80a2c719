"""The biweekly session: set in chat (stored) or in the configuration, expanded in local time."""
from __future__ import annotations

from datetime import datetime

from bot.config import Config
from bot.records import Rhythm
from bot.services import Actor
from storage.store import Store


def current(store: Store, config: Config, now: datetime) -> Rhythm | None:
    """The rhythm set in chat, else the configured one, else None.

    A configured rule is read once and stored: "un jeudi sur deux" read on another day would
    pick the other week, so the phase must not depend on when the bot happens to start. A
    changed rule in the configuration is read again; a rhythm set in chat wins."""
    stored = store.rhythm()
    rule = config.rhythm.rule
    if stored is not None and (stored.set_by != "configuration" or stored.text == rule or not rule):
        return stored
    if not rule:
        return None
    from bot.when import read_recurrence

    rec = read_recurrence(rule, now, config.chambre.tz)
    rhythm = Rhythm(rrule=rec.rrule, dtstart=rec.dtstart, tz=rec.tz, duration_minutes=rec.duration_minutes,
                    place=config.rhythm.place, text=rule, set_by="configuration")
    store.set_rhythm(rhythm, now)
    return rhythm


def recurrence_of(rhythm: Rhythm):
    from bot.when import Recurrence

    return Recurrence.from_parts(rhythm.rrule, rhythm.dtstart, rhythm.duration_minutes, rhythm.tz)


def sessions(rhythm: Rhythm, after: datetime, count: int | None = None, before: datetime | None = None) -> list[datetime]:
    return recurrence_of(rhythm).occurrences(after, count=count, before=before)


def next_session(rhythm: Rhythm | None, now: datetime) -> datetime | None:
    if rhythm is None:
        return None
    found = sessions(rhythm, now, count=1)
    return found[0] if found else None


def set_rhythm(store: Store, actor: Actor, now: datetime, rec, text: str, place: str | None) -> Rhythm:
    rhythm = Rhythm(rrule=rec.rrule, dtstart=rec.dtstart, tz=rec.tz, duration_minutes=rec.duration_minutes,
                    place=place, text=text, set_by=actor.user)
    store.set_rhythm(rhythm, now)
    store.log("rhythm.set", None, actor.user, now, text=text, place=place)
    return rhythm
