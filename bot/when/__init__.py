"""The time-expression layer: reads French and English dates, ranges and recurrences the way
members write them ("jeudi 18h", "un jeudi sur deux de 18h à 20h"), or refuses with an
explanation. A refusal is always better than a wrong date. See docs/when.md."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .cli import run_when_cli
from .errors import WhenError
from .event import Event, add_length, read_day, read_event, read_past_day, zone
from .names import format_day, format_instant
from .recurrence import Recurrence, describe_recurrence, read_recurrence
from .grammar import Length, Reader
from .scan import detect_language, looks_recurring
from .tokens import tokenize

__all__ = ["read_event", "read_recurrence", "read_duration", "read_day", "read_past_day", "Event", "Recurrence",
           "WhenError", "format_event", "format_instant", "format_day", "describe_recurrence",
           "warm_up", "run_when_cli", "looks_recurring", "add_duration"]


def read_duration(text: str, lang: str | None = None) -> timedelta:
    """A configured length: "2 jours", "24 heures", "1 heure", "30 minutes", "2 days"; a day
    counts 24 hours here (see add_duration for days on the wall clock)."""
    span = _read_length(text, lang)
    return span.exact + timedelta(days=span.days)


def add_duration(moment: datetime, text: str, tz: ZoneInfo | str = "Europe/Paris",
                 lang: str | None = None) -> datetime:
    """`moment` (aware) plus a length typed by a member ("3 jours", "2 heures"), in zone `tz`:
    days and weeks on the wall clock (a day is the same time the next day: 23 or 25 hours
    across a change of summer time), hours and minutes as elapsed time. The console's
    `/avance`; the same arithmetic as an event's "pendant 2 jours"."""
    return add_length(moment.astimezone(zone(tz)), _read_length(text, lang))


def _read_length(text: str, lang: str | None) -> Length:
    tokens = tokenize(text)
    lang_ = lang if lang in ("fr", "en") else detect_language(tokens)
    reader = Reader(tokens, text, "duration", lang_)
    got = reader.read_length(0) if tokens else None
    if got is None or got[1] != len(tokens) or got[0].months:
        raise WhenError(f"« {text} » n'est pas une durée.", f'"{text}" is not a length of time.',
                        kind="duration", lang=lang_, code="duration")
    span = got[0]
    if span.exact + timedelta(days=span.days) <= timedelta():
        raise WhenError("Une durée doit être positive.", "A length of time must be positive.",
                        kind="duration", lang=lang_, code="duration")
    return span


def format_event(ev: Event, lang: str) -> str:
    """"vendredi 26 mars 2027, 19:00–21:00"; an end on another day is written in full."""
    if not isinstance(ev.start, datetime):  # all day
        return format_day(ev.start, lang)
    text = format_instant(ev.start, lang)
    if ev.end is None:
        return text
    end = ev.end.astimezone(ev.start.tzinfo)
    if end.date() == ev.start.date():
        return f"{text}–{end.hour:02d}:{end.minute:02d}"
    return f"{text} – {format_instant(end, lang)}"


def warm_up() -> None:
    """Load dateparser's French and English data (the month and weekday names, once) and the
    zone data, and run each reader once, so the first real request is as fast as the rest."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from .lexicon import load_calendar_names
    load_calendar_names()
    now = datetime(2027, 3, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    for text in ("jeudi 18h", "le 27 avril de 14h à 16h", "dans quinze jours à 9h",
                 "tomorrow at 9am", "12/06/2027 10:00"):
        read_event(text, now)
    for text in ("un jeudi sur deux de 18h à 20h à partir du 1er avril",
                 "le premier lundi du mois à 19h jusqu'au 30 juin", "every tuesday 5pm-7pm"):
        rec = read_recurrence(text, now)
        rec.to_json()
        describe_recurrence(rec, "fr")
    read_duration("2 jours")
    try:
        read_event("plus tard", now)
    except WhenError as err:
        err.explain("en")
