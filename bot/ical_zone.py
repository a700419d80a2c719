"""A time zone for an iCalendar file (VTIMEZONE) that says what the zone database says, for
every year ahead.

icalendar builds its VTIMEZONE from a list of dated changes that stops in 2038 (and says
so): a calendar program that reads the zone from the file rather than by its name then
shows every summer occurrence after 2037 an hour off. Here the changes are read from the
zone database year by year until they settle into a yearly rule ("the last Sunday of March
at 02:00"); the changes before that are listed by date, and the rule is written as an
RRULE, which has no end. (A zone whose changes follow no yearly rule, like Morocco's, which
follow Ramadan, is exact for the forty years looked at; its last year then repeats.)
"""
from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

# How far past the first year the zone's rule is looked for: beyond the last change the zone
# database lists by date (2037 in most builds), where only its yearly rule remains.
SCAN_YEARS = 40
# Changes are looked for a week at a time: no zone changes and changes back within a week
# (the shortest interval the zone database has from now on is Morocco's month of Ramadan).
_STEP = timedelta(days=7)
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SECOND = timedelta(seconds=1)
# How a yearly rule names a day in its month: ("day", 31), ("nth", 2, "SU"), ("last", "SU"),
# ("after", 25, "SU") for the Sunday on or after the 25th.
Form = tuple[Any, ...]
# An RRULE as icalendar takes it: {"freq": "yearly", "bymonth": 3, "byday": "-1SU"}.
Rule = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """A change of the zone's offset (or of summer time, or of its abbreviation)."""

    at: datetime  # the first instant of the new offset, UTC
    before: timedelta
    after: timedelta
    dst: bool  # summer time from then on
    name: str  # the abbreviation from then on

    @property
    def wall(self) -> datetime:
        """When it happens on the wall clock still on the old offset (a VTIMEZONE's DTSTART)."""
        return (self.at + self.before).replace(tzinfo=None)

    def same_kind(self, other: "Change") -> bool:
        return (self.wall.month, self.wall.time(), self.before, self.after, self.dst, self.name) == \
               (other.wall.month, other.wall.time(), other.before, other.after, other.dst, other.name)


def _state(zone: ZoneInfo, at: datetime) -> tuple[timedelta, bool, str]:
    local = at.astimezone(zone)
    return local.utcoffset() or timedelta(0), bool(local.dst()), local.tzname() or ""


def changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[Change]:
    """Every change in [start, end): looked for week by week, then found to the second."""
    found: list[Change] = []
    at, state = start, _state(zone, start)
    while at < end:
        nxt = min(at + _STEP, end)
        if _state(zone, nxt) == state:
            at = nxt
            continue
        lo, hi = at, nxt  # the state changes in (lo, hi]
        while hi - lo > _SECOND:
            mid = lo + timedelta(seconds=(hi - lo) // _SECOND // 2)
            lo, hi = (mid, hi) if _state(zone, mid) == state else (lo, mid)
        new = _state(zone, hi)
        found.append(Change(hi, state[0], new[0], new[1], new[2]))
        at, state = hi, new
    return found


def _byday_forms(day: date) -> set[Form]:
    """The ways a yearly rule can name `day` within its month: the 2nd Sunday, the last
    Sunday, the 31st, the Sunday on or after the 25th."""
    weekday = DAYS[day.weekday()]
    last = calendar.monthrange(day.year, day.month)[1]
    forms: set[Form] = {("day", day.day)}
    if day.day <= 28:
        forms.add(("nth", (day.day - 1) // 7 + 1, weekday))
    if day.day + 7 > last:
        forms.add(("last", weekday))
    longest = 28 if day.month == 2 else last  # a window of seven days must be in every such month
    forms.update(("after", first, weekday) for first in range(max(1, day.day - 6), day.day + 1) if first + 6 <= longest)
    return forms


def _rrule(month: int, form: Form) -> Rule:
    rule: Rule = {"freq": "yearly", "bymonth": month}
    if form[0] == "day":
        rule["bymonthday"] = form[1]
    elif form[0] == "nth":
        rule["byday"] = f"{form[1]}{form[2]}"
    elif form[0] == "last":
        rule["byday"] = f"-1{form[1]}"
    else:  # the weekday on or after a day: one of the seven days from it
        rule["byday"] = form[2]
        rule["bymonthday"] = list(range(form[1], form[1] + 7))
    return rule


_PREFERENCE = {"last": 0, "nth": 1, "day": 2, "after": 3}


def yearly_rule(found: list[Change], last_year: int) -> tuple[int, list[tuple[Change, Rule]]]:
    """How many of `found` are listed by date, and the yearly rules (first change, RRULE)
    that the rest follow: the longest run of final years alike (the same changes, in the
    same months, at the same hours, on days one rule names)."""
    by_year: dict[int, list[Change]] = {}
    for change in found:
        by_year.setdefault(change.wall.year, []).append(change)
    pattern = by_year.get(last_year, [])
    if not pattern:
        return len(found), []  # no more changes: the last one listed holds for ever
    forms = [_byday_forms(c.wall.date()) for c in pattern]
    first_year = last_year
    for year in range(last_year - 1, min(by_year) - 1, -1):
        these = by_year.get(year, [])
        if len(these) != len(pattern) or not all(a.same_kind(b) for a, b in zip(these, pattern)):
            break
        narrowed = [f & _byday_forms(c.wall.date()) for f, c in zip(forms, these)]
        if not all(narrowed):
            break
        forms, first_year = narrowed, year
    settled = next(k for k, c in enumerate(found) if c.wall.year == first_year)
    rules = []
    for change, options in zip(by_year[first_year], forms):
        form = min(options, key=lambda f: (_PREFERENCE[f[0]], -f[1] if f[0] == "after" else 0))
        rules.append((change, _rrule(change.wall.month, form)))
    return settled, rules


def _component(dst: bool, onset: datetime, before: timedelta, after: timedelta,
               name: str) -> TimezoneDaylight | TimezoneStandard:
    part: TimezoneDaylight | TimezoneStandard = TimezoneDaylight() if dst else TimezoneStandard()
    part.add("dtstart", onset)
    part.add("tzoffsetfrom", before)
    part.add("tzoffsetto", after)
    if name:
        part.add("tzname", name)
    return part


@functools.lru_cache(maxsize=32)
def _read(name: str, year: int) -> tuple[list[Change], int, list[tuple[Change, Rule]]]:
    """The zone's changes from the start of `year` and how they settle (the zone database
    does not change while the bot runs)."""
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    found = changes(ZoneInfo(name), start, datetime(year + SCAN_YEARS + 2, 1, 1, tzinfo=timezone.utc))
    settled, rules = yearly_rule(found, year + SCAN_YEARS + 1)
    return found, settled, rules


def vtimezone(name: str, first: date) -> Timezone:
    """The VTIMEZONE of zone `name`, right from the start of the year before `first` on."""
    zone = ZoneInfo(name)
    start = datetime(first.year - 1, 1, 1, tzinfo=timezone.utc)
    found, settled, rules = _read(name, first.year - 1)

    tz = Timezone()
    tz.add("tzid", name)
    # What holds when it starts (a day earlier on the wall clock: readers take an onset as
    # the first instant it holds, and the first instant must be inside). Summer time came
    # from the offset the zone next leaves for it: readers take the difference as its DST.
    offset, dst, abbreviation = _state(zone, start)
    onset = (start + offset - timedelta(days=1)).replace(tzinfo=None)
    came_from = next((c.before for c in found if c.dst == dst and c.after == offset), offset)
    tz.add_component(_component(dst, onset, came_from, offset, abbreviation))
    listed: dict[tuple[bool, timedelta, timedelta, str], list[Change]] = {}
    for change in found[:settled]:
        listed.setdefault((change.dst, change.before, change.after, change.name), []).append(change)
    for (dst, before, after, abbreviation), dated in listed.items():
        part = _component(dst, dated[0].wall, before, after, abbreviation)
        if len(dated) > 1:
            part.add("rdate", [c.wall for c in dated[1:]])
        tz.add_component(part)
    for change, rule in rules:
        part = _component(change.dst, change.wall, change.before, change.after, change.name)
        part.add("rrule", rule)
        tz.add_component(part)
    return tz
