"""A recurrence: an RFC 5545 rule, its first occurrence and an optional duration.

Occurrences are expanded by dateutil's rrule on naive LOCAL wall-clock times, then given the
zone: 18:00 stays 18:00 on both sides of a change of summer time. A wall time that the spring
change skips is moved forward by the length of the gap (02:30 becomes 03:30), as RFC 5545
says; an autumn time that happens twice is the first one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule as RRule, rrulestr

from .errors import WhenError
from .event import _Resolver, _check_period, localise
from .grammar import (Anchor, DateSpec, DayList, DayRel, Duration, Freq, MonthDay,
                      OrdinalWeekdays, TimeSpec, WeekdaySpec)
from .names import WEEKDAYS_EN, WEEKDAYS_FR, format_clock, format_day, format_length
from .scan import scan

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _parts(rule: str) -> dict[str, str]:
    rule = rule.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    parts: dict[str, str] = {}
    for item in rule.split(";"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"bad RRULE part {item!r}")
        parts[key.strip().upper()] = value.strip().upper()
    if "FREQ" not in parts:
        raise ValueError("RRULE without FREQ")
    return parts


def _until_naive(value: str, tz: ZoneInfo) -> datetime:
    """UNTIL as a local naive time: a UTC time, a floating local time or a date (end of day)."""
    if len(value) == 8:
        return datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59))
    if value.endswith("Z"):
        utc = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return utc.astimezone(tz).replace(tzinfo=None)
    return datetime.strptime(value, "%Y%m%dT%H%M%S")


def until_value(day: date, tz: ZoneInfo) -> str:
    """UNTIL for "up to and including `day`": the last second of that local day, in UTC."""
    end = datetime.combine(day, time(23, 59, 59)).replace(tzinfo=tz)
    return end.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Recurrence:
    rrule: str
    dtstart: datetime
    duration: timedelta | None
    tz: str

    def __post_init__(self) -> None:
        zone_ = ZoneInfo(self.tz)
        start = self.dtstart if self.dtstart.tzinfo else self.dtstart.replace(tzinfo=zone_)
        object.__setattr__(self, "dtstart", start.astimezone(zone_))
        object.__setattr__(self, "rrule", ";".join(f"{k}={v}" for k, v in _parts(self.rrule).items()))
        self._rule  # fails now on a rule dateutil cannot read

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @cached_property
    def _parts(self) -> dict[str, str]:
        return _parts(self.rrule)

    @cached_property
    def _rule(self) -> RRule:
        parts = dict(self._parts)
        until = parts.pop("UNTIL", None)
        naive_start = self.dtstart.replace(tzinfo=None)
        rule = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=naive_start)
        if not isinstance(rule, RRule):  # a set comes only from several lines, which _parts never gives
            raise ValueError(f"not one rule: {self.rrule!r}")
        if until is not None:
            rule = rule.replace(until=_until_naive(until, self._zone))
        return rule

    @property
    def until(self) -> date | None:
        value = self._parts.get("UNTIL")
        return _until_naive(value, self._zone).date() if value else None

    def _aware(self, naive: datetime) -> datetime:
        # through UTC and back: a wall time skipped in spring moves forward by the gap
        return naive.replace(tzinfo=self._zone).astimezone(timezone.utc).astimezone(self._zone)

    def _expansion_near(self, search: datetime) -> RRule:
        """The rule to expand from `search` (naive, local): the rule itself, or, when it began
        long before, the same rule begun later on a day in step with it (a whole number of
        its intervals on), so that a permanence begun years ago is not walked through day by
        day at each reading. The occurrences from `search` on are the same."""
        p = self._parts
        freq, interval = p["FREQ"], int(p.get("INTERVAL", "1"))
        start = self.dtstart.replace(tzinfo=None)
        if "COUNT" in p or "BYSETPOS" in p or freq not in ("DAILY", "WEEKLY", "MONTHLY") or \
                freq == "MONTHLY" and "BYDAY" not in p and "BYMONTHDAY" not in p:
            return self._rule  # a rule whose day or count depends on its start: as it is
        # one interval of margin before `search`
        if freq == "MONTHLY":
            steps = ((search.year - start.year) * 12 + search.month - start.month) // interval - 1
            if steps <= 0:
                return self._rule
            month = start.month - 1 + steps * interval
            later = start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)
        else:
            step = interval * (7 if freq == "WEEKLY" else 1)
            steps = (search - start).days // step - 1
            if steps <= 0:
                return self._rule
            later = start + timedelta(days=steps * step)
        return self._rule.replace(dtstart=later)

    def occurrences(self, after: datetime, count: int | None = None,
                    before: datetime | None = None, inclusive: bool = True) -> list[datetime]:
        """Starts at or after `after` (strictly after if not inclusive) and before `before`,
        at most `count` of them; aware, in the recurrence's zone."""
        if count is None and before is None and self.until is None:
            raise ValueError("an endless recurrence needs count or before")
        if after.tzinfo is None:
            after = after.replace(tzinfo=self._zone)
        # two hours of margin: the naive local search start may sit across a clock change
        search = after.astimezone(self._zone).replace(tzinfo=None) - timedelta(hours=2)
        found: list[datetime] = []
        if count is not None and count <= 0:
            return found
        for naive in self._expansion_near(search).xafter(search, inc=True):
            start = self._aware(naive)
            if before is not None and start >= before:
                break
            if start < after or (start == after and not inclusive):
                continue
            found.append(start)
            if count is not None and len(found) >= count:
                break
        return found

    def first(self, n: int) -> list[datetime]:
        return self.occurrences(self.dtstart, count=n)

    @property
    def duration_minutes(self) -> int | None:
        return _minutes(self.duration)

    def to_json(self) -> dict[str, Any]:
        return {"rrule": self.rrule,
                "occurrences": [o.isoformat() for o in self.first(4)],
                "duration_minutes": self.duration_minutes}

    @classmethod
    def from_parts(cls, rrule: str, dtstart: datetime, duration_minutes: int | None,
                   tz: str) -> "Recurrence":
        duration = timedelta(minutes=duration_minutes) if duration_minutes else None
        return cls(rrule, dtstart, duration, tz)


def _minutes(duration: timedelta | None) -> int | None:
    return None if duration is None else int(duration.total_seconds() // 60)


# ---- reading -------------------------------------------------------------------------------

def read_recurrence(text: str, now: datetime, tz: ZoneInfo | str = "Europe/Paris",
                    lang: str | None = None) -> Recurrence:
    """Read a recurrence ("un jeudi sur deux de 18h à 20h"), or refuse. A single date
    ("mardi 17h") is refused as such, with the recurrence it may have meant."""
    try:
        return _read_recurrence(text, now, tz, lang)
    except WhenError as err:
        if err.code in ("unknown", "norule"):
            single = _single_date(text, lang)
            if single is not None:
                raise single from None
        raise


def _single_date(text: str, lang: str | None) -> WhenError | None:
    """The refusal for a request that reads as one date, not a rhythm; None if it does not."""
    try:
        reader, reading = scan(text, "event", lang)
    except WhenError:
        return None
    days = [p for p in reading.pieces if isinstance(p.value, (WeekdaySpec, DateSpec, DayRel))]
    if not days:
        return None
    times = [p for p in reading.pieces if isinstance(p.value, TimeSpec)]
    at_fr = at_en = "à 18h"
    fr_example, en_example = "tous les jeudis à 18h", "every Thursday at 6pm"
    if times:
        at_fr = at_en = reader.quote(times[0].start, times[0].end)
    weekday = days[0].value
    if len(days) == 1 and isinstance(weekday, WeekdaySpec) and not weekday.extra_weeks:
        fr_example = f"tous les {WEEKDAYS_FR[weekday.weekday]}s {at_fr}"
        en_example = f"every {WEEKDAYS_EN[weekday.weekday]} {at_en}"
    elif times:
        fr_example, en_example = f"tous les jeudis {at_fr}", f"every Thursday {at_en}"
    typed = reader.quote(0, len(reader.t))
    return WhenError(f"« {typed} » est une seule date : il faut une récurrence, par exemple "
                     f"« {fr_example} ».",
                     f'"{typed}" is a single date: a recurrence is needed, for example '
                     f'"{en_example}".', kind="recurrence", lang=reader.lang, code="single")


def _read_recurrence(text: str, now: datetime, tz: ZoneInfo | str, lang: str | None) -> Recurrence:
    res = _Resolver.for_text(text, now, tz, lang, "recurrence")
    reading, now_l, zone_ = res.reading, res.now, res.tz
    today = now_l.date()
    err = res.error

    freqs = reading.of(Freq)
    if len(freqs) > 1:
        raise err("Il y a deux rythmes dans la demande.", "The request has two rhythms.", "twice")
    ordinals = res.one(OrdinalWeekdays, "jours du mois", "days of the month")
    monthday = res.one(MonthDay, "jours du mois", "days of the month")
    daylist = res.one(DayList, "listes de jours", "lists of days")
    timespec = res.one(TimeSpec, "heures", "times")
    duration = res.one(Duration, "durées", "durations")
    if any(reading.of(kind) for kind in (DayRel, DateSpec, WeekdaySpec)):
        raise err("Une date seule n'a pas sa place dans une récurrence : écrivez "
                  "« à partir du … » ou « jusqu'au … ».",
                  'A date alone has no place in a recurrence: write "starting …" or "until …".',
                  "conflict")
    _check_period(res, timespec.start if timespec else None)
    anchors = reading.of(Anchor)
    starts = [a for a in anchors if a.role == "start"]
    untils = [a for a in anchors if a.role == "until"]
    if len(starts) > 1 or len(untils) > 1:
        raise err("Il y a deux dates de début ou de fin.", "There are two start or end dates.",
                  "twice")
    if ordinals is not None and monthday is not None:
        raise err("Choisissez : un jour du mois ou un jour de la semaine du mois.",
                  "Choose: a day of the month or a weekday of the month.", "conflict")

    freq = freqs[0] if freqs else None
    if freq is None:
        if (ordinals is not None and ordinals.of_month) or (monthday is not None and monthday.of_month):
            freq = Freq("MONTHLY")
        else:
            raise err("Je ne trouve pas de rythme (« tous les jeudis », « un jeudi sur deux »…).",
                      'I find no rhythm ("every thursday", "every other thursday"...).', "norule")

    # the days
    byday: list[str] = []
    bymonthday: int | None = None
    kind = freq.freq
    if kind == "DAILY" and daylist is not None:
        if freq.interval != 1:
            raise err("« tous les N jours » ne va pas avec des jours de la semaine.",
                      '"every N days" does not go with weekdays.', "conflict")
        kind = "WEEKLY"
    if kind == "WEEKLY":
        if ordinals is not None or monthday is not None:
            raise err("Un rythme par semaine ne va pas avec un jour du mois.",
                      "A weekly rhythm does not go with a day of the month.", "conflict")
        days = freq.days
        if daylist is not None:
            if days and set(days) != set(daylist.days):
                raise err("La demande nomme des jours différents.",
                          "The request names different days.", "conflict")
            days = daylist.days
        byday = [DAY_CODES[d] for d in sorted(days)]
    elif kind == "DAILY":
        if ordinals is not None or monthday is not None:
            raise err("« tous les jours » ne va pas avec un jour du mois.",
                      '"every day" does not go with a day of the month.', "conflict")
    else:  # MONTHLY
        if freq.days or daylist is not None:
            raise err("Un rythme par mois demande « le premier lundi » ou « le 10 ».",
                      'A monthly rhythm needs "the first monday" or "the 10th".', "conflict")
        if ordinals is not None:
            byday = [f"{o}{DAY_CODES[ordinals.weekday]}" for o in sorted(ordinals.ordinals, key=lambda o: (o < 0, o))]
        elif monthday is not None:
            bymonthday = monthday.day
        else:
            raise err("Quel jour du mois ? (« le premier lundi du mois », « tous les mois le 10 »)",
                      'Which day of the month? ("first monday of the month", '
                      '"every month on the 10th")', "noday")

    # the time and the length
    if timespec is None:
        raise err("Il manque l'heure (« à 18h », « de 18h à 20h »).",
                  'The time is missing ("at 6pm", "6pm-8pm").', "notime")
    time_of_day = timespec.start
    if time_of_day.midnight and kind != "DAILY":
        raise err("« minuit » est ambigu ici (début ou fin du jour ?) : écrivez 23h59 ou 0h.",
                  '"midnight" is ambiguous here (start or end of the day?): write 11:59pm or 0:00.',
                  "midnight")
    length: timedelta | None = None
    if timespec.end is not None:
        if duration is not None:
            raise res.end_and_duration()
        end = timespec.end
        length = timedelta(hours=end.hour - time_of_day.hour, minutes=end.minute - time_of_day.minute)
        if end.midnight:
            length += timedelta(days=1)
        if length <= timedelta():
            raise err("La fin est avant le début.", "The end is before the start.", "order")
    elif duration is not None:
        length = res.length(duration.length)

    # from when, until when
    # a first day without a year that has just passed is kept: it sets the phase
    start_day = _anchor_day(res, starts[0].what, today, past_ok=True) if starts else None
    if start_day is not None and not byday and kind == "WEEKLY":
        byday = [DAY_CODES[start_day.weekday()]]
    if kind == "WEEKLY" and not byday:
        raise err("Quel jour de la semaine ? (« le jeudi »)", 'Which weekday? ("on thursday")',
                  "noday")
    if freq.needs_anchor and start_day is None:
        raise err("Ce rythme a besoin d'un premier jour (« à partir du 3 décembre »).",
                  'This rhythm needs a first day ("starting december 3").', "noanchor")
    until_day = None
    if untils:
        # counted from the first day when there is one; a day just before a first day still
        # ahead is not past, only before the start (the order error below)
        until_day = _anchor_day(res, untils[0].what, start_day or today,
                                past_ok=start_day is not None and start_day > today)
        if until_day < today:
            raise res.past(until_day)
        if start_day is not None and until_day < start_day:
            raise err("La fin est avant le début.", "The end is before the start.", "order")

    parts = [f"FREQ={kind}"]
    if freq.interval > 1:
        parts.append(f"INTERVAL={freq.interval}")
    if byday:
        parts.append("BYDAY=" + ",".join(byday))
    if bymonthday is not None:
        parts.append(f"BYMONTHDAY={bymonthday}")

    dtstart = _first_occurrence(res, parts, kind, time_of_day.hour, time_of_day.minute, start_day, until_day,
                                now_l, zone_)
    res.within_bounds(dtstart.date())  # a first day at the limit may find its weekday beyond
    if until_day is not None:
        parts.append("UNTIL=" + until_value(until_day, zone_))
    return Recurrence(";".join(parts), dtstart, length, zone_.key)


def _anchor_day(res: _Resolver, what: object, today: date, past_ok: bool = False) -> date:
    return res.within_bounds(_anchor(res, what, today, past_ok))


def _anchor(res: _Resolver, what: object, today: date, past_ok: bool) -> date:
    if isinstance(what, DateSpec):
        # with a year, a first day in the past is kept: it sets the phase of the rhythm
        return res.date_of(what, None, today, past_ok)
    if isinstance(what, WeekdaySpec):
        return res.weekday_date(what, None, today)
    if isinstance(what, DayRel):
        if what.offset < 0:
            raise res.error("Ce jour est passé.", "That day is in the past.", "past")
        return today + timedelta(days=what.offset)
    raise res.error("Je ne comprends pas cette date.", "I do not understand that date.", "unknown")


def _first_occurrence(res: _Resolver, parts: list[str], kind: str, hour: int, minute: int,
                      start_day: date | None, until_day: date | None, now_l: datetime,
                      zone_: ZoneInfo) -> datetime:
    """The first occurrence: on or after the first day if given, else the first still ahead.
    Found with the rule at interval 1, so that "every other monday" starts on the nearest
    monday and not two weeks later; that occurrence then sets the phase."""
    probe_parts = [p for p in parts if not p.startswith("INTERVAL=")]
    if kind == "DAILY" and start_day is not None:
        probe_parts = ["FREQ=DAILY"]
    origin = datetime.combine(start_day or now_l.date(), time(hour, minute))
    probe = rrulestr(";".join(probe_parts), dtstart=origin)
    now_naive = now_l.replace(tzinfo=None)
    # a first day given with its year may lie in the past: it then only sets the phase
    must_be_ahead = start_day is None or start_day >= now_l.date()
    for count, naive in enumerate(probe):
        if until_day is not None and naive.date() > until_day or count > 800:
            break
        if must_be_ahead and naive <= now_naive:
            continue
        aware = localise(naive, zone_)
        if aware is None:  # the first one falls in the spring gap: start with the next
            continue
        if must_be_ahead and aware <= now_l:
            continue
        return aware
    raise res.error("Cette récurrence n'a aucune occurrence.", "This recurrence never happens.",
                    "empty")


# ---- describing ----------------------------------------------------------------------------

_ORD_FR = {1: "premier", 2: "deuxième", 3: "troisième", 4: "quatrième", 5: "cinquième", -1: "dernier"}
_ORD_EN = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_NUM_FR = {2: "deux", 3: "trois", 4: "quatre"}
_NUM_EN = {2: "two", 3: "three", 4: "four"}


def _and(items: list[str], lang: str) -> str:
    word = " et " if lang == "fr" else " and "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + word + items[-1]


def _suffix_en(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def describe_recurrence(rec: Recurrence, lang: str) -> str:
    """"un jeudi sur deux à 18:00 (durée 2 h), à partir du jeudi 3 décembre 2026"."""
    lang = "en" if lang == "en" else "fr"
    p = rec._parts
    freq, interval = p["FREQ"], int(p.get("INTERVAL", "1"))
    byday = [d for d in p.get("BYDAY", "").split(",") if d]
    at = format_clock(rec.dtstart)
    fr = lang == "fr"
    names = WEEKDAYS_FR if fr else WEEKDAYS_EN
    if freq == "WEEKLY" and byday and all(d in DAY_CODES for d in byday):
        days = [names[DAY_CODES.index(d)] for d in byday]
        if interval == 1 and len(days) == 1:
            rule = f"tous les {days[0]}s" if fr else f"every {days[0]}"
        elif interval == 1:
            rule = (f"chaque semaine {_and(['le ' + d for d in days], lang)}" if fr
                    else f"every week on {_and(days, lang)}")
        elif len(days) == 1:
            rule = (f"un {days[0]} sur {_NUM_FR.get(interval, interval)}" if fr and interval <= 4
                    else f"toutes les {interval} semaines le {days[0]}" if fr
                    else f"every other {days[0]}" if interval == 2
                    else f"every {interval} weeks on {days[0]}")
        else:
            rule = (f"toutes les {interval} semaines {_and(['le ' + d for d in days], lang)}" if fr
                    else f"every {interval} weeks on {_and(days, lang)}")
    elif freq == "DAILY":
        rule = ("tous les jours" if interval == 1 else f"tous les {interval} jours") if fr else \
            ("every day" if interval == 1 else f"every {interval} days")
    elif freq == "MONTHLY" and byday:
        ords = [(int(d[:-2]), DAY_CODES.index(d[-2:])) for d in byday]
        table = _ORD_FR if fr else _ORD_EN
        day = names[ords[0][1]]
        if fr:
            rule = _and(["le " + table.get(o, str(o)) for o, _ in ords], lang) + f" {day} du mois"
        else:
            rule = "the " + _and([table.get(o, str(o)) for o, _ in ords], lang) + f" {day} of the month"
        if interval > 1:
            rule += f", un mois sur {interval}" if fr else f", every {interval} months"
    elif freq == "MONTHLY" and "BYMONTHDAY" in p:
        n = int(p["BYMONTHDAY"])
        rule = (f"tous les mois le {'1er' if n == 1 else n}" if fr
                else f"every month on the {n}{_suffix_en(n)}")
        if interval > 1:
            rule += f", un mois sur {interval}" if fr else f", every {interval} months"
    else:
        rule = f"RRULE {rec.rrule}"
    text = f"{rule} à {at}" if fr else f"{rule} at {at}"
    if rec.duration:
        text += f" (durée {format_length(rec.duration, lang)})" if fr else \
            f" (duration {format_length(rec.duration, lang)})"
    start = format_day(rec.dtstart.date(), lang)
    text += f", à partir du {start}" if fr else f", starting {start}"
    if rec.until is not None:
        end = format_day(rec.until, lang)
        text += f", jusqu'au {end} inclus" if fr else f", until {end} included"
    return text
