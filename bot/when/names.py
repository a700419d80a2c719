"""Dates written out in full, in French or English, without the system locale."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "fr"


def format_day(d: date, lang: str) -> str:
    """"mercredi 15 septembre 2027" / "Wednesday 15 September 2027"."""
    if _lang(lang) == "en":
        return f"{WEEKDAYS_EN[d.weekday()]} {d.day} {MONTHS_EN[d.month - 1]} {d.year}"
    day = "1er" if d.day == 1 else str(d.day)
    return f"{WEEKDAYS_FR[d.weekday()]} {day} {MONTHS_FR[d.month - 1]} {d.year}"


def spoken_time(hour: int, minute: int, lang: str) -> str:
    """A time as a member would type it: "20h", "14h30" / "8pm", "2:30pm"."""
    if _lang(lang) == "fr":
        return f"{hour}h{minute:02d}" if minute else f"{hour}h"
    clock = str(hour % 12 or 12) + (f":{minute:02d}" if minute else "")
    return clock + ("am" if hour < 12 else "pm")


def format_clock(dt: datetime) -> str:
    return f"{dt.hour:02d}:{dt.minute:02d}"


def format_instant(dt: datetime, lang: str, tz: ZoneInfo | str | None = None) -> str:
    """"vendredi 26 mars 2027, 19:00" / "Friday 26 March 2027, 19:00"."""
    if tz is not None:
        dt = dt.astimezone(tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz))
    return f"{format_day(dt.date(), lang)}, {format_clock(dt)}"


def format_length(length: timedelta, lang: str) -> str:
    minutes = int(length.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        if _lang(lang) == "en":
            parts.append(f"{days} day" + ("s" if days > 1 else ""))
        else:
            parts.append(f"{days} jour" + ("s" if days > 1 else ""))
    if hours and minutes:
        parts.append(f"{hours} h {minutes:02d}")
    elif hours:
        parts.append(f"{hours} h")
    elif minutes:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "0 min"


def day_fr_en(d: date) -> tuple[str, str]:
    return format_day(d, "fr"), format_day(d, "en")


def instant_fr_en(dt: datetime) -> tuple[str, str]:
    return format_instant(dt, "fr"), format_instant(dt, "en")
