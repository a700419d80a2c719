"""The biweekly session: set in chat (stored) or in the configuration, expanded in local time."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Config
from bot.records import Rhythm
from bot.services import Actor
from storage.store import Store

if TYPE_CHECKING:
    from bot.when import Recurrence

log = logging.getLogger(__name__)
CONFIGURATION = "configuration"  # set_by of a rhythm that comes from [rhythm] rule


def _in_effect(stored: Rhythm | None, config: Config) -> bool:
    """Whether the stored rhythm is the one to follow: one set in chat always is; one read
    from the configuration, while the configuration says the same (or nothing)."""
    rule = config.rhythm.rule
    return stored is not None and (stored.set_by != CONFIGURATION or stored.text == rule or not rule)


def current(store: Store, config: Config) -> Rhythm | None:
    """The rhythm in effect: the one set in chat, else the configured one as
    `adopt_configured` stored it, else None. Only reads."""
    stored = store.rhythm()
    return stored if _in_effect(stored, config) else None


def adopt_configured(store: Store, config: Config, now: datetime) -> None:
    """Store `[rhythm] rule`, read at `now`, unless a rhythm set in chat wins or the same rule
    is stored already. The bot does this when it opens its database, before anything reads
    the rhythm: "un jeudi sur deux" read on another day would pick the other week, so the
    rule is read once and kept. A changed rule in the configuration is read again."""
    rule = config.rhythm.rule
    if not rule or _in_effect(store.rhythm(), config):
        return
    from bot.when import WhenError, read_recurrence

    try:
        rec = read_recurrence(rule, now, config.chambre.tz)
    except WhenError as err:  # check-config read it; the day it is read may still refuse it
        log.error("[rhythm] rule %r cannot be read now (%s): no session rhythm until it is fixed "
                  "or set in chat", rule, err.explain("en"))
        return
    rhythm = Rhythm(rrule=rec.rrule, dtstart=rec.dtstart, tz=rec.tz, duration_minutes=rec.duration_minutes,
                    place=config.rhythm.place, text=rule, set_by=CONFIGURATION)
    store.set_rhythm(rhythm, now)


def recurrence_of(rhythm: Rhythm) -> Recurrence:
    from bot.when import Recurrence

    return Recurrence.from_parts(rhythm.rrule, rhythm.dtstart, rhythm.duration_minutes, rhythm.tz)


def sessions(rhythm: Rhythm, after: datetime, count: int | None = None, before: datetime | None = None) -> list[datetime]:
    return recurrence_of(rhythm).occurrences(after, count=count, before=before)


def next_session(rhythm: Rhythm | None, now: datetime) -> datetime | None:
    if rhythm is None:
        return None
    found = sessions(rhythm, now, count=1)
    return found[0] if found else None


def set_rhythm(store: Store, actor: Actor, now: datetime, rec: Recurrence, text: str, place: str | None) -> Rhythm:
    rhythm = Rhythm(rrule=rec.rrule, dtstart=rec.dtstart, tz=rec.tz, duration_minutes=rec.duration_minutes,
                    place=place, text=text, set_by=actor.user)
    store.set_rhythm(rhythm, now)
    store.log("rhythm.set", None, actor.user, now, text=text, place=place)
    return rhythm
