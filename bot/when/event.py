"""One event: read a request into a start (a moment, or a day alone) and an optional end."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from .errors import WhenError
from .grammar import (DateSpec, DayRel, Duration, Length, Offset, Period, Reader, Reading,
                      TimeOfDay, TimeSpec, WeekdaySpec)
from .names import WEEKDAYS_EN, WEEKDAYS_FR, day_fr_en, instant_fr_en, spoken_time
from .scan import looks_recurring, scan, understood_text

T = TypeVar("T")


@dataclass(frozen=True)
class Event:
    start: datetime | date
    end: datetime | None = None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end is not None else None}


def zone(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError on odd names
        raise WhenError(f"Fuseau horaire inconnu : « {tz} ».", f'Unknown time zone: "{tz}".',
                        code="zone") from exc


def local_now(now: datetime, tz: ZoneInfo) -> datetime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    return now.astimezone(tz)


def localise(naive: datetime, tz: ZoneInfo) -> datetime | None:
    """The aware local time for a wall-clock time, or None if the clock skips it (the
    spring change). An hour that happens twice (autumn) is the first one (fold=0)."""
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(timezone.utc).astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        return None
    return aware


def add_months(d: date, months: int) -> date | None:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    if d.day > calendar.monthrange(y, m)[1]:
        return None
    return date(y, m, d.day)


# A day and month without a year that fell this many days ago or less is that past day, not
# next year's (TIME.md): "le 30 novembre" typed on 1 December means the day before.
RECENT = timedelta(days=90)
# The dates a member may name (TIME.md): none before 1900, none more than ten years ahead.
# Beyond, a typo ("01/01/0099", "9999") would be stored, and break whatever reads it later.
FIRST_YEAR = 1900
YEARS_AHEAD = 10


def latest_day(today: date) -> date:
    """The last day a member may name: ten years after `today` (28 February for a 29th)."""
    year = today.year + YEARS_AHEAD
    return today.replace(year=year, day=min(today.day, calendar.monthrange(year, today.month)[1]))


class _Resolver:
    """Turns the pieces of a reading into dates, with errors in both languages."""

    @classmethod
    def for_text(cls, text: str, now: datetime, tz: ZoneInfo | str, lang: str | None,
           kind: str) -> _Resolver:
        """Read `text` (kind: "event", "day" or "recurrence") against `now` in zone `tz`."""
        zone_ = zone(tz)
        now_l = local_now(now, zone_)
        reader, reading = scan(text, "recurrence" if kind == "recurrence" else "event", lang)
        return cls(reader, reading, now_l, zone_, kind)

    def __init__(self, reader: Reader, reading: Reading, now: datetime, tz: ZoneInfo,
                 kind: str) -> None:
        self.reader = reader
        self.reading = reading
        self.now = now
        self.tz = tz
        self.kind = kind
        self.lang = reader.lang
        self.latest = latest_day(now.date())

    def error(self, fr: str, en: str, code: str) -> WhenError:
        return WhenError(fr, en, kind=self.kind, lang=self.lang, code=code,
                         understood=understood_text(self.reader, self.reading))

    def year_too_early(self, year: int) -> WhenError:
        return self.error(f"L'année {year} est avant {FIRST_YEAR} : écrivez-la en entier "
                          f"(par exemple {self.now.year}).",
                          f"The year {year} is before {FIRST_YEAR}: write it in full "
                          f"(for example {self.now.year}).", "bounds")

    def within_bounds(self, day: date) -> date:
        """`day` if a member may name it, else the error that says why not."""
        if day.year < FIRST_YEAR:
            raise self.year_too_early(day.year)
        if day > self.latest:
            fr_day, en_day = day_fr_en(day)
            fr_last, en_last = day_fr_en(self.latest)
            raise self.error(f"Le {fr_day} est à plus de dix ans : pas de date après le "
                             f"{fr_last}.",
                             f"{en_day} is more than ten years ahead: no date after {en_last}.",
                             "bounds")
        return day

    def past(self, day: date) -> WhenError:
        fr_day, en_day = day_fr_en(day)
        return self.error(f"Le {fr_day} est passé.", f"{en_day} is in the past.", "past")

    def end_and_duration(self) -> WhenError:
        return self.error("Il y a une heure de fin et une durée : gardez l'une des deux.",
                          "There is an end time and a duration: keep one of them.", "twice")

    def length(self, span: Length) -> timedelta:
        """A duration's length: days count 24 hours here; months are refused."""
        if span.months:
            raise self.error("Une durée en mois n'est pas assez précise.",
                             "A duration in months is not precise enough.", "duration")
        length = span.exact + timedelta(days=span.days)
        if length <= timedelta():
            raise self.error("Une durée doit être positive.", "A duration must be positive.",
                             "duration")
        return length

    def one(self, cls: type[T], fr: str, en: str) -> T | None:
        found = self.reading.of(cls)
        if len(found) > 1:
            raise self.error(f"Il y a deux {fr} dans la demande.", f"The request has two {en}.",
                             "twice")
        return found[0] if found else None

    def check_weekday(self, d: date, weekday: int | None) -> None:
        if weekday is not None and d.weekday() != weekday:
            fr_day, en_day = day_fr_en(d)
            raise self.error(f"Le {fr_day.split(' ', 1)[1]} est un {WEEKDAYS_FR[d.weekday()]}, "
                             f"pas un {WEEKDAYS_FR[weekday]}.",
                             f"{en_day.split(' ', 1)[1]} is a {WEEKDAYS_EN[d.weekday()]}, "
                             f"not a {WEEKDAYS_EN[weekday]}.", "weekday")

    def nonexistent(self, d: DateSpec, year: int | None = None) -> WhenError:
        text = f"{d.day}/{d.month}" + (f"/{year}" if year else "")
        return self.error(f"Le {text} n'existe pas.", f"{text} (day/month) does not exist.",
                          "nodate")

    def date_of(self, spec: DateSpec, time_of_day: TimeOfDay | None, today: date,
                past_ok: bool = False) -> date:
        """The day a DateSpec names. With a year, that day. A day of the month alone, the next
        one still ahead. A day and month without a year, the next time it comes, unless it
        fell in the last RECENT days: then it is that past day (TIME.md), which is an error
        unless `past_ok` (a recurrence's first day, which only sets the phase). Still ahead
        means with its time, when there is one; `today` is the reference day."""
        def ahead(d: date) -> bool:
            if time_of_day is None:
                return d >= today
            return datetime.combine(d, time(time_of_day.hour, time_of_day.minute)) > self.now.replace(tzinfo=None)

        if spec.month is None:
            y, m = today.year, today.month
            for _ in range(14):
                if spec.day <= calendar.monthrange(y, m)[1]:
                    d = date(y, m, spec.day)
                    if ahead(d):
                        self.check_weekday(d, spec.weekday)
                        return d
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            raise self.nonexistent(spec)
        if spec.year is not None:
            if spec.year < FIRST_YEAR:
                raise self.year_too_early(spec.year)
            try:
                d = date(spec.year, spec.month, spec.day)
            except ValueError:
                raise self.nonexistent(spec, spec.year) from None
            self.within_bounds(d)
            self.check_weekday(d, spec.weekday)
            return d
        if spec.day > calendar.monthrange(2028, spec.month)[1]:  # 2028: a leap year
            raise self.nonexistent(spec)
        # the last such day not ahead, then the next one ahead (29 February: within 8 years)
        last: date | None = None
        for y in range(today.year - 1, today.year + 9):
            try:
                d = date(y, spec.month, spec.day)
            except ValueError:
                continue
            if ahead(d):
                break
            last = d
        else:
            raise self.nonexistent(spec)
        if last is not None and today - last <= RECENT:
            if not past_ok:
                raise self.recent_past(last, time_of_day, d)
            self.check_weekday(last, spec.weekday)
            return last
        self.check_weekday(d, spec.weekday)
        return d

    def recent_past(self, day: date, time_of_day: TimeOfDay | None, upcoming: date) -> WhenError:
        """A year-less date that has just passed: say so, and how to name the next one."""
        if time_of_day is None:
            fr_was, en_was = day_fr_en(day)
        else:
            fr_was, en_was = instant_fr_en(datetime.combine(day, time(time_of_day.hour, time_of_day.minute)))
        fr_next = day_fr_en(upcoming)[0].split(" ", 1)[1]
        en_next = day_fr_en(upcoming)[1].split(" ", 1)[1]
        return self.error(f"Le {fr_was} est passé ; si vous pensiez au {fr_next}, écrivez "
                          f"l'année : « {fr_next} ».",
                          f'{en_was} is past; if you meant {en_next}, write the year: '
                          f'"{en_next}".', "past")

    def weekday_date(self, spec: WeekdaySpec, time_of_day: TimeOfDay | None, today: date) -> date:
        ahead = (spec.weekday - today.weekday()) % 7
        d = today + timedelta(days=ahead)
        if ahead == 0 and time_of_day is not None and \
                datetime.combine(d, time(time_of_day.hour, time_of_day.minute)) <= self.now.replace(tzinfo=None):
            d += timedelta(days=7)
        if d == today and spec.next_word:
            # "mercredi prochain" said on a Wednesday: today (TIME.md: "jeudi prochain" =
            # "jeudi") or, as many people mean it, in a week? Not a guess to store.
            fr, en = WEEKDAYS_FR[spec.weekday], WEEKDAYS_EN[spec.weekday]
            raise self.error(f"Nous sommes {fr} : « {fr} prochain » est ambigu (aujourd'hui ou "
                             "dans une semaine ?) : donnez la date.",
                             f'Today is {en}: "next {en}" is ambiguous (today or in a week?): '
                             "give the date.", "ambiguous")
        return d + timedelta(days=7 * spec.extra_weeks)

    def day(self, time_of_day: TimeOfDay | None) -> date | None:
        """The day the request names, from its date, weekday, relative day or offset; None
        when it names none. All that name a day must agree."""
        today = self.now.date()
        dates: list[date] = []
        spec = self.one(DateSpec, "dates", "dates")
        rel = self.one(DayRel, "jours", "days")
        offset = self.one(Offset, "délais", "delays")
        weekday = self.one(WeekdaySpec, "jours de la semaine", "weekdays")
        if spec is not None:
            dates.append(self.date_of(spec, time_of_day, today))
        if rel is not None:
            dates.append(today + timedelta(days=rel.offset))
        if offset is not None and not offset.length.is_exact:
            d = add_months(today, offset.length.months) if offset.length.months else today
            if d is None:
                raise self.error("Ce jour n'existe pas dans ce mois-là.",
                                 "That day does not exist in that month.", "nodate")
            if offset.length.exact:
                raise self.error("Je ne sais pas ajouter des jours et des heures à la fois.",
                                 "I cannot add days and hours at once.", "mixed")
            dates.append(d + timedelta(days=offset.length.days))
        if weekday is not None:
            if dates:
                if weekday.extra_weeks:
                    raise self.error("« en huit » ne va pas avec une date.",
                                     '"en huit" does not go with a date.', "conflict")
                self.check_weekday(dates[0], weekday.weekday)
            else:
                dates.append(self.weekday_date(weekday, time_of_day, today))
        if len(set(dates)) > 1:
            raise self.error("La demande nomme deux jours différents.",
                             "The request names two different days.", "conflict")
        return self.within_bounds(dates[0]) if dates else None


PERIOD_HOURS = {"matin": range(4, 12), "apresmidi": range(12, 19), "soir": range(17, 24)}


PERIOD_NAMES = {"matin": ("le matin", "in the morning"),
                "apresmidi": ("l'après-midi", "in the afternoon"),
                "soir": ("le soir", "in the evening")}


def _check_period(res: _Resolver, time_of_day: TimeOfDay | None) -> None:
    period = res.one(Period, "moments de la journée", "parts of the day")
    if period is None:
        return
    if time_of_day is None:
        raise res.error("« matin », « soir » : trop vague, donnez une heure (18h, 9h30).",
                        '"morning", "evening": too vague, give a time (6pm, 9:30am).', "vague")
    hours = PERIOD_HOURS[period.name]
    if time_of_day.hour in hours or (period.name == "soir" and time_of_day.midnight):
        return
    # the same time twelve hours away, if it is in that part of the day ("soir 8h": 20h)
    other = time_of_day.hour + 12 if time_of_day.hour < 12 else time_of_day.hour - 12
    fr_part, en_part = PERIOD_NAMES[period.name]
    fr = f"{spoken_time(time_of_day.hour, time_of_day.minute, 'fr')} n'est pas {fr_part}"
    en = f"{spoken_time(time_of_day.hour, time_of_day.minute, 'en')} is not {en_part}"
    if other in hours:
        raise res.error(f"{fr} : vouliez-vous {spoken_time(other, time_of_day.minute, 'fr')} ?",
                        f"{en}: did you mean {spoken_time(other, time_of_day.minute, 'en')}?", "period")
    piece = next(p for p in res.reading.pieces if p.value == period)
    word = res.reader.quote(piece.start, piece.end)
    raise res.error(f"{fr} : enlevez « {word} » ou changez l'heure.",
                    f'{en}: remove "{word}" or change the time.', "period")


def read_event(text: str, now: datetime, tz: ZoneInfo | str = "Europe/Paris",
               lang: str | None = None) -> Event:
    """Read one event: a moment (with an optional end) or a day alone."""
    res = _Resolver.for_text(text, now, tz, lang, "event")
    reading, now_l, zone_ = res.reading, res.now, res.tz
    if looks_recurring(text):
        raise res.error("C'est une récurrence, pas un événement.",
                        "This is a recurrence, not one event.", "recurring")
    timespec = res.one(TimeSpec, "heures", "times")
    duration = res.one(Duration, "durées", "durations")
    offset = res.one(Offset, "délais", "delays")
    time_of_day = timespec.start if timespec else None
    _check_period(res, time_of_day)
    if timespec is not None and timespec.end is not None and duration is not None:
        raise res.end_and_duration()
    start: datetime | None  # None: a wall time the spring change skips

    if offset is not None and offset.length.is_exact:
        others = [p for p in reading.pieces if not isinstance(p.value, (Offset, Duration))]
        if others:
            raise res.error("« dans … heures/minutes » ne va pas avec un jour ou une heure.",
                            '"in … hours/minutes" does not go with a day or a time.', "conflict")
        if offset.length.exact <= timedelta():
            raise res.error("Un délai nul ne désigne pas un moment à venir.",
                            "A zero delay is not a moment ahead.", "past")
        base = now_l.replace(second=0, microsecond=0).astimezone(timezone.utc)
        start = (base + offset.length.exact).astimezone(zone_)
        res.within_bounds(start.date())
        return Event(start, _end_by_duration(res, start, duration))

    day = res.day(time_of_day)
    if time_of_day is None:
        if day is None:
            raise res.error("Je ne trouve ni jour ni heure.", "I find neither a day nor a time.",
                            "nothing")
        if duration is not None:
            raise res.error("Une durée demande une heure de début.",
                            "A duration needs a start time.", "duration")
        if day < now_l.date():
            raise res.past(day)
        return Event(day)

    explicit_day = day is not None
    if time_of_day.midnight and explicit_day and not (timespec and timespec.end):
        raise res.error("« minuit » avec un jour est ambigu (le début ou la fin du jour ?) : "
                        "écrivez 23h59 ou 0h le jour suivant.",
                        '"midnight" with a day is ambiguous (start or end of the day?): '
                        "write 11:59pm or 0:00 on the next day.", "midnight")
    if day is None:
        today = now_l.date()
        day = today
        if datetime.combine(today, time(time_of_day.hour, time_of_day.minute)) <= now_l.replace(tzinfo=None):
            day = today + timedelta(days=1)
    naive = datetime.combine(day, time(time_of_day.hour, time_of_day.minute))
    start = localise(naive, zone_)
    if start is None:
        raise res.error(f"{time_of_day.hour:02d}:{time_of_day.minute:02d} n'existe pas le "
                        f"{day_fr_en(day)[0]} (passage à l'heure d'été).",
                        f"{time_of_day.hour:02d}:{time_of_day.minute:02d} does not exist on "
                        f"{day_fr_en(day)[1]} (clocks go forward).", "dst")
    if start < now_l:
        raise res.error(f"Le {instant_fr_en(start)[0]} est passé.",
                        f"{instant_fr_en(start)[1]} is in the past.", "past")
    end = None
    if timespec is not None and timespec.end is not None:  # there is one: time_of_day is its start
        e = timespec.end
        end_day = day + timedelta(days=1) if e.midnight else day
        end = localise(datetime.combine(end_day, time(e.hour, e.minute)), zone_)
        if end is None:
            raise res.error("L'heure de fin n'existe pas ce jour-là (passage à l'heure d'été).",
                            "The end time does not exist that day (clocks go forward).", "dst")
        if end <= start:
            raise res.error("La fin est avant le début.", "The end is before the start.",
                            "order")
        res.within_bounds(end.date())
    elif duration is not None:
        end = _end_by_duration(res, start, duration)
    return Event(start, end)


def _end_by_duration(res: _Resolver, start: datetime, duration: Duration | None) -> datetime | None:
    if duration is None:
        return None
    span = duration.length
    res.length(span)  # refuses months and lengths that are not positive
    end = add_length(start, span)
    res.within_bounds(end.date())
    return end


def add_length(start: datetime, span: Length) -> datetime:
    """`start` plus `span`: days on the wall clock (the same time N days later; a time the
    spring change skips moves on by the gap), hours and minutes as elapsed time, so that a
    length is right across a change of summer time. `start` is aware, in its zone."""
    zone_ = start.tzinfo
    base = start
    if span.days:
        base = start.replace(tzinfo=None) + timedelta(days=span.days)
        base = base.replace(tzinfo=zone_).astimezone(timezone.utc).astimezone(zone_)
    return (base.astimezone(timezone.utc) + span.exact).astimezone(zone_)


def read_day(text: str, now: datetime, tz: ZoneInfo | str = "Europe/Paris",
             lang: str | None = None) -> date:
    """A day, no time: "17/12", "jeudi 17 décembre", "jeudi" (the next one, today included)."""
    res = _Resolver.for_text(text, now, tz, lang, "day")
    allowed = (DateSpec, WeekdaySpec, DayRel)
    if any(not isinstance(p.value, allowed) for p in res.reading.pieces):
        raise res.error("Il faut un jour seul, sans heure.", "I need a day alone, with no time.",
                        "day")
    day = res.day(None)
    if day is None:
        raise res.error("Je ne trouve pas de jour.", "I find no day.", "nothing")
    if day < res.now.date():
        raise res.past(day)
    return day


def read_past_day(text: str, now: datetime, tz: ZoneInfo | str = "Europe/Paris",
                  lang: str | None = None) -> date:
    """A day already come, to look something up: "3/12", "3 décembre 2026", "jeudi" (the
    last one, today included), "hier". A day and month without a year is the last such day
    up to today; a day ahead is refused, as a day ahead is when reading a meeting's date."""
    res = _Resolver.for_text(text, now, tz, lang, "day")
    allowed = (DateSpec, WeekdaySpec, DayRel)
    if any(not isinstance(p.value, allowed) for p in res.reading.pieces):
        raise res.error("Il faut un jour seul, sans heure.", "I need a day alone, with no time.", "day")
    today = res.now.date()
    spec = res.one(DateSpec, "dates", "dates")
    rel = res.one(DayRel, "jours", "days")
    weekday = res.one(WeekdaySpec, "jours de la semaine", "weekdays")
    days: list[date] = []
    if spec is not None:
        if spec.year is not None or spec.month is None:
            days.append(res.date_of(spec, None, today) if spec.year is not None else _last_monthday(res, spec, today))
        else:
            days.append(_last_date(res, spec, today))
    if rel is not None:
        days.append(today + timedelta(days=rel.offset))
    if weekday is not None:
        if weekday.extra_weeks or weekday.next_word:
            raise res.error("Il faut un jour passé.", "I need a day that has come.", "future")
        if days:
            res.check_weekday(days[0], weekday.weekday)
        else:
            days.append(today - timedelta(days=(today.weekday() - weekday.weekday) % 7))
    if not days:
        raise res.error("Je ne trouve pas de jour.", "I find no day.", "nothing")
    if len(set(days)) > 1:
        raise res.error("La demande nomme deux jours différents.",
                        "The request names two different days.", "conflict")
    day = days[0]
    if day.year < FIRST_YEAR:
        raise res.year_too_early(day.year)
    if day > today:
        fr_day, en_day = day_fr_en(day)
        raise res.error(f"Le {fr_day} n'est pas encore venu.", f"{en_day} has not come yet.", "future")
    return day


def _last_date(res: _Resolver, spec: DateSpec, today: date) -> date:
    """The last day of that day and month up to today (29 February: within eight years)."""
    for year in range(today.year, today.year - 9, -1):
        try:
            d = date(year, spec.month, spec.day)  # type: ignore[arg-type]
        except ValueError:
            continue
        if d <= today:
            res.check_weekday(d, spec.weekday)
            return d
    raise res.nonexistent(spec)


def _last_monthday(res: _Resolver, spec: DateSpec, today: date) -> date:
    """The last such day of a month up to today ("le 3")."""
    y, m = today.year, today.month
    for _ in range(14):
        if spec.day <= calendar.monthrange(y, m)[1] and date(y, m, spec.day) <= today:
            d = date(y, m, spec.day)
            res.check_weekday(d, spec.weekday)
            return d
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    raise res.nonexistent(spec)
