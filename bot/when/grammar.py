"""The grammar: small readers that each recognise one piece of a request at a position in the
token list (a time, a range, a date, a weekday, a recurrence rule...) and return what they
read and where they stopped, or None. A request is read only when its pieces cover every
token; anything left over is refused by the caller."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Iterable, TypeVar

from .errors import WhenError
from .lexicon import (NUMBER_WORDS, ORDINAL_SUFFIXES, ORDINALS, TUESDAY_OR_MARCH,
                      calendar_names)
from .tokens import Token

T = TypeVar("T")

# ---- what the readers return ------------------------------------------------------------

@dataclass(frozen=True)
class TimeOfDay:
    hour: int
    minute: int
    bare: bool = False        # a number without "h", ":" or am/pm: only the start of a range
    midnight: bool = False    # "minuit", "midnight", "24h": as the end of a range, the next day
    meridiem: bool = False    # written with am/pm


@dataclass(frozen=True)
class TimeSpec:
    start: TimeOfDay
    end: TimeOfDay | None = None


@dataclass(frozen=True)
class Length:
    """A length of time: exact (hours, minutes) plus calendar days and months."""
    exact: timedelta = timedelta()
    days: int = 0
    months: int = 0

    @property
    def is_exact(self) -> bool:
        return self.days == 0 and self.months == 0


@dataclass(frozen=True)
class Duration:
    length: Length


@dataclass(frozen=True)
class Offset:          # "dans 3 jours", "in two hours"
    length: Length


@dataclass(frozen=True)
class DateSpec:
    day: int
    month: int | None = None
    year: int | None = None
    weekday: int | None = None


@dataclass(frozen=True)
class WeekdaySpec:
    weekday: int
    extra_weeks: int = 0  # "en huit": 1, "en quinze": 2
    next_word: bool = False  # "prochain", "qui vient", "next": ambiguous said on that very day


@dataclass(frozen=True)
class DayRel:          # aujourd'hui 0, demain 1, hier -1...
    offset: int


@dataclass(frozen=True)
class Period:          # matin, apres-midi, soir: checks the hour, never sets it
    name: str


@dataclass(frozen=True)
class Freq:
    freq: str                      # DAILY, WEEKLY, MONTHLY
    interval: int = 1
    days: tuple[int, ...] = ()     # weekdays 0..6
    # "tous les quinze jours": weekly, interval 2; marks rules whose phase needs a day
    needs_anchor: bool = False


@dataclass(frozen=True)
class DayList:
    days: tuple[int, ...]


@dataclass(frozen=True)
class OrdinalWeekdays:             # "le premier et le troisieme lundi du mois"
    ordinals: tuple[int, ...]
    weekday: int
    of_month: bool                 # "du mois" was written: a monthly rule by itself


@dataclass(frozen=True)
class MonthDay:
    day: int
    of_month: bool


@dataclass(frozen=True)
class Anchor:                      # "a partir du ...", "jusqu'au ..."
    role: str                      # "start" or "until"
    what: object                   # DateSpec, WeekdaySpec or DayRel


@dataclass
class Piece:
    value: object
    start: int                     # token indexes
    end: int


@dataclass
class Reading:
    pieces: list[Piece] = field(default_factory=list)

    def of(self, kind: type[T]) -> list[T]:
        return [p.value for p in self.pieces if isinstance(p.value, kind)]


# The longest length of time a member may type ("dans 9999 jours", "pendant 99999 heures"):
# ten years and a few days. The date bounds (TIME.md: ten years ahead) then decide exactly;
# this only keeps every count far from what datetime can hold.
LONGEST = timedelta(days=3660)
LONGEST_MONTHS = 120
# The largest interval of a rhythm, per unit: a year.
LONGEST_INTERVAL = {"DAILY": 365, "WEEKLY": 52, "MONTHLY": 12}
INTERVAL_UNITS = {"DAILY": ("jours", "days"), "WEEKLY": ("semaines", "weeks"),
                  "MONTHLY": ("mois", "months")}

QUOTE_LENGTH = 60

HOUR_WORDS = {"h", "heure", "heures", "hr", "hrs", "hour", "hours"}
MINUTE_WORDS = {"min", "mins", "mn", "minute", "minutes"}
DAY_WORDS = {"jour", "jours", "day", "days"}
WEEK_WORDS = {"semaine", "semaines", "week", "weeks"}
MONTH_WORDS = {"mois", "month", "months"}
UNIT_WORDS = HOUR_WORDS | MINUTE_WORDS | DAY_WORDS | WEEK_WORDS | MONTH_WORDS
OF_MONTH = ("du mois", "de chaque mois", "de tous les mois", "of the month", "of each month",
            "of every month", "every month", "each month", "chaque mois", "par mois")
# "8h du soir": the phrases, the hours they go with (and what each becomes), as written
DAY_PARTS = (
    (("du soir", "in the evening", "at night"), {h: h + 12 for h in range(1, 12)},
     "du soir", "in the evening"),
    (("de l apresmidi", "de l apres midi", "in the afternoon"),
     {**{h: h + 12 for h in range(1, 8)}, 12: 12}, "de l'après-midi", "in the afternoon"),
    (("du matin", "in the morning"), {h: h for h in range(1, 12)}, "du matin", "in the morning"),
)
# the words between the two times of a range, after each leading word
RANGE_SEPARATORS = {"de": ("-", "a", "jusqu a", "jusqu au"), "from": ("-", "to", "until", "till"),
                    "entre": ("et",), "between": ("and",)}
DAY_RELATIVES = (("aujourd hui", 0), ("aujourdhui", 0), ("today", 0), ("demain", 1),
                 ("tomorrow", 1), ("apresdemain", 2), ("apres demain", 2),
                 ("the day after tomorrow", 2), ("day after tomorrow", 2), ("hier", -1),
                 ("yesterday", -1), ("avanthier", -2), ("avant hier", -2))
# parts of the day; "ce soir", "tonight" also name the day
PERIODS = (("ce soir", (DayRel(0), Period("soir"))), ("tonight", (DayRel(0), Period("soir"))),
           ("ce matin", (DayRel(0), Period("matin"))),
           ("cet apresmidi", (DayRel(0), Period("apresmidi"))),
           ("this morning", (DayRel(0), Period("matin"))),
           ("this afternoon", (DayRel(0), Period("apresmidi"))),
           ("this evening", (DayRel(0), Period("soir"))),
           ("matin", (Period("matin"),)), ("soir", (Period("soir"),)),
           ("apresmidi", (Period("apresmidi"),)), ("morning", (Period("matin"),)),
           ("afternoon", (Period("apresmidi"),)), ("evening", (Period("soir"),)),
           ("night", (Period("soir"),)))


class Reader:
    """Readers over one token list. Each `read_*` method takes a token index and returns
    (value, next index) or None; they raise WhenError only for a piece that is recognised
    but impossible (25h, 13/13)."""

    def __init__(self, tokens: list[Token], text: str, kind: str, lang: str) -> None:
        self.t = tokens
        self.text = text
        self.kind = kind
        self.lang = lang
        names = calendar_names()  # dateparser's month and weekday names, loaded once
        self.weekdays = names.weekdays
        self.weekdays_plural = names.weekdays_plural
        self.months = names.months

    # ---- token access ----
    def w(self, i: int) -> str | None:
        if 0 <= i < len(self.t) and self.t[i].kind == "word":
            return self.t[i].text
        return None

    def n(self, i: int) -> int | None:
        if 0 <= i < len(self.t) and self.t[i].kind == "num":
            return self.t[i].value
        return None

    def digits(self, i: int) -> int:
        return len(self.t[i].text) if 0 <= i < len(self.t) else 0

    def sym(self, i: int) -> str | None:
        if 0 <= i < len(self.t) and self.t[i].kind == "sym":
            return self.t[i].text
        return None

    def phrase(self, i: int, words: str) -> int | None:
        for word in words.split():
            if self.w(i) != word:
                return None
            i += 1
        return i

    def any_phrase(self, i: int, phrases: Iterable[str]) -> int | None:
        for p in phrases:
            j = self.phrase(i, p)
            if j is not None:
                return j
        return None

    def quote(self, i: int, j: int) -> str:
        """The member's own words from token i to token j, for a message: cut when long, so
        that a refusal of a pasted page is not a page."""
        if i >= j:
            return ""
        words = self.text[self.t[i].start:self.t[j - 1].end]
        return words if len(words) <= QUOTE_LENGTH else words[:QUOTE_LENGTH - 1] + "…"

    def fail(self, fr: str, en: str) -> WhenError:
        return WhenError(fr, en, kind=self.kind, lang=self.lang, code="invalid")

    def not_a_time(self, i: int, j: int) -> WhenError:
        return self.fail(f"« {self.quote(i, j)} » n'est pas une heure.",
                         f'"{self.quote(i, j)}" is not a time of day.')

    def too_long(self, i: int, j: int) -> WhenError:
        return WhenError(f"« {self.quote(i, j)} » : plus de dix ans, c'est trop long.",
                         f'"{self.quote(i, j)}": more than ten years is too long.',
                         kind=self.kind, lang=self.lang, code="bounds")

    def interval_error(self, i: int, j: int, freq: str) -> WhenError:
        most = LONGEST_INTERVAL[freq]
        fr_unit, en_unit = INTERVAL_UNITS[freq]
        return WhenError(f"« {self.quote(i, j)} » : l'intervalle doit aller de 1 à {most} {fr_unit} "
                         "(un an au plus).",
                         f'"{self.quote(i, j)}": the interval must be from 1 to {most} {en_unit} '
                         "(a year at most).", kind=self.kind, lang=self.lang, code="interval")

    def not_a_date(self, i: int, j: int) -> WhenError:
        return self.fail(f"« {self.quote(i, j)} » n'est pas une date.",
                         f'"{self.quote(i, j)}" is not a date.')

    # ---- numbers ----
    def qty(self, i: int, words: bool = True) -> tuple[int, int] | None:
        """A count: digits or a number word ("quinze", "dix-sept", "three", "a")."""
        n = self.n(i)
        if n is not None:
            return n, i + 1
        w = self.w(i)
        if words and w in NUMBER_WORDS:
            # "dix sept" written apart
            if w == "dix" and (unit := self.w(i + 1)) in ("sept", "huit", "neuf"):
                return NUMBER_WORDS[f"dix{unit}"], i + 2
            if w == "vingt" and self.w(i + 1) == "et" and self.w(i + 2) == "un":
                return 21, i + 3
            return NUMBER_WORDS[w], i + 1
        if words and w in ("a", "an") and self.lang == "en":
            return 1, i + 1
        return None

    def ordinal_number(self, i: int) -> tuple[int, int] | None:
        """1er, 2e, 3rd, premier, last..."""
        w = self.w(i)
        if w in ORDINALS:
            return ORDINALS[w], i + 1
        n = self.n(i)
        if n is not None and self.w(i + 1) in ORDINAL_SUFFIXES and 1 <= n <= 5:
            return n, i + 2
        return None

    # ---- times of day ----
    def _day_follows(self, i: int) -> bool:
        """The 2-digit number at i is a day ("18h 15 mai") or a time, not minutes."""
        nxt = i + 1
        return (self.w(nxt) in self.months or self.w(nxt) == TUESDAY_OR_MARCH
                or self.sym(nxt) == "/" or self.w(nxt) in ORDINAL_SUFFIXES
                or self.w(nxt) in HOUR_WORDS or self.sym(nxt) == ":" or self.w(nxt) in ("am", "pm"))

    def read_time_of_day(self, i: int) -> tuple[TimeOfDay, int] | None:
        w = self.w(i)
        if w in ("midi", "noon", "minuit", "midnight"):
            hour = 12 if w in ("midi", "noon") else 0
            j, minute = i + 1, 0
            if w in ("midi", "minuit") and self.w(j) == "et" and self.w(j + 1) in ("demi", "demie", "quart"):
                minute = 15 if self.w(j + 1) == "quart" else 30
                j += 2
            return TimeOfDay(hour, minute, midnight=(hour == 0 and minute == 0)), j
        n = self.n(i)
        j = i + 1
        if n is None and w in NUMBER_WORDS and NUMBER_WORDS[w] <= 23 \
                and self.w(j) in ("heure", "heures"):
            n = NUMBER_WORDS[w]  # "dix-huit heures", "huit heures du soir"
        elif n is None and w in ("dix", "vingt") and (q := self.qty(i)) and q[0] <= 23 \
                and self.w(q[1]) in ("heure", "heures"):
            n, j = q
        elif n is None or self.digits(i) > 2:
            return None
        w = self.w(j)
        if w in ("h", "heure", "heures"):
            j += 1
            minute = 0
            m = self.n(j)
            if m is not None and self.digits(j) == 2 and not self._day_follows(j):
                minute = m
                j += 1
                if self.w(j) in MINUTE_WORDS:
                    j += 1
            elif self.w(j) == "et" and self.w(j + 1) in ("demi", "demie", "quart"):
                minute = 15 if self.w(j + 1) == "quart" else 30
                j += 2
            hour, j = self._day_part(n, j)
            return self._checked(hour, minute, i, j), j
        if self.sym(j) == ":" and (minutes := self.n(j + 1)) is not None and self.digits(j + 1) == 2:
            minute = minutes
            j += 2
            if (ampm := self.w(j)) in ("am", "pm"):
                return self._meridiem(n, minute, ampm, i, j + 1), j + 1
            hour, j = self._day_part(n, j)
            return self._checked(hour, minute, i, j), j
        if w in ("am", "pm"):
            return self._meridiem(n, 0, w, i, j + 1), j + 1
        if n <= 24:
            return TimeOfDay(n, 0, bare=True), j
        return None

    def _day_part(self, hour: int, j: int) -> tuple[int, int]:
        """"8h du soir" is 20:00, "8h du matin" 08:00; anything else is left alone."""
        for phrases, hours, fr, en in DAY_PARTS:
            k = self.any_phrase(j, phrases)
            if k is not None:
                if hour not in hours:
                    raise self.fail(f"« {hour}h {fr} » n'est pas une heure claire.",
                                    f'"{hour} {en}" is not a clear time.')
                return hours[hour], k
        return hour, j

    def _checked(self, hour: int, minute: int, i: int, j: int) -> TimeOfDay:
        if hour == 24 and minute == 0:
            return TimeOfDay(0, 0, midnight=True)
        if hour > 23 or minute > 59:
            raise self.not_a_time(i, j)
        return TimeOfDay(hour, minute)

    def _meridiem(self, hour: int, minute: int, ampm: str, i: int, j: int) -> TimeOfDay:
        if not 1 <= hour <= 12 or minute > 59:
            raise self.not_a_time(i, j)
        hour = hour % 12 + (12 if ampm == "pm" else 0)
        return TimeOfDay(hour, minute, midnight=(hour == 0 and minute == 0), meridiem=True)

    def read_timespec(self, i: int) -> tuple[TimeSpec, int] | None:
        """A time or a range of times: 18h, à 18h, 18h-20h, de 18h à 20h, entre 18h et 20h,
        from 6pm to 8pm, between 6pm and 8pm."""
        lead = self.w(i)
        j = i
        if lead in ("de", "from", "entre", "between", "a", "at", "des"):
            j += 1
        else:
            lead = None
        if lead in ("a", "at") and self.phrase(j, "partir") is not None:
            return None
        first = self.read_time_of_day(j)
        if first is None:
            return None
        start, j = first
        end = None
        for sep in RANGE_SEPARATORS.get(lead or "", ("-", "a", "to")):
            k = (j + 1 if self.sym(j) == "-" else None) if sep == "-" else self.phrase(j, sep)
            if k is None:
                continue
            second = self.read_time_of_day(k)
            if second is not None and not second[0].bare:
                end, j = second
                break
        if end is None:
            if lead in ("de", "from", "entre", "between") or start.bare:
                return None
            if lead == "des":
                return None
            return TimeSpec(start), j
        if start.bare:
            if end.meridiem:
                raise self.fail(
                    f"« {self.quote(i, j)} » : écrivez l'heure de début en entier (10am-12pm).",
                    f'"{self.quote(i, j)}": write the start time in full (10am-12pm).')
            if start.hour > 23:
                return None
        if start.midnight and not (start.hour == 0 and start.minute == 0):
            return None
        return TimeSpec(start, end), j

    # ---- lengths of time ----
    def read_length(self, i: int) -> tuple[Length, int, str] | None:
        """2h, 1h30, 45 min, 2 heures, une heure et demie, une demi-heure, 3 jours, 2 weeks.
        Returns the span, the next index and the unit word as written."""
        j = i
        if self.w(j) in ("un", "une", "a") and self.w(j + 1) == "demiheure":
            return Length(timedelta(minutes=30)), j + 2, "demiheure"
        if self.w(j) == "demiheure":
            return Length(timedelta(minutes=30)), j + 1, "demiheure"
        k = self.any_phrase(j, ("half an hour", "a half hour", "un quart d heure", "quart d heure"))
        if k is not None:
            minutes = 15 if self.w(k - 1) == "heure" else 30
            return Length(timedelta(minutes=minutes)), k, "minutes"
        q = self.qty(j)
        if q is None:
            return None
        count, j = q
        unit = self.w(j)
        if count > LONGEST.days * 24 * 60 and unit in UNIT_WORDS:
            raise self.too_long(i, j + 1)  # more than ten years in any unit; timedelta may overflow
        got = self._length_of(count, unit, j)
        if got is None or unit is None:  # a length has a unit: _length_of found none
            return None
        span, end = got
        if span.months > LONGEST_MONTHS or span.exact + timedelta(days=span.days) > LONGEST:
            raise self.too_long(i, end)
        return span, end, unit

    def _length_of(self, count: int, unit: str | None, j: int) -> tuple[Length, int] | None:
        """The span of `count` `unit`s (the unit at j), and where it ends."""
        if unit in HOUR_WORDS:
            j += 1
            minutes = 0
            m = self.n(j)
            if m is not None and (self.digits(j) == 2 or self.w(j + 1) in MINUTE_WORDS):
                minutes = m
                j += 1
                if self.w(j) in MINUTE_WORDS:
                    j += 1
            else:
                k = self.any_phrase(j, ("et demie", "et demi", "and a half"))
                if k is not None:
                    minutes, j = 30, k
                else:
                    k = self.any_phrase(j, ("et quart",))
                    if k is not None:
                        minutes, j = 15, k
            if minutes > 59:
                return None
            return Length(timedelta(hours=count, minutes=minutes)), j
        if unit in MINUTE_WORDS:
            return Length(timedelta(minutes=count)), j + 1
        if self.sym(j) == ":" and self.n(j + 1) is not None and self.digits(j + 1) == 2:
            return None  # 1:30 as a length is ambiguous with a time of day
        if unit in DAY_WORDS:
            return Length(days=count), j + 1
        if unit in WEEK_WORDS:
            return Length(days=7 * count), j + 1
        if unit in MONTH_WORDS:
            return Length(months=count), j + 1
        return None

    def read_duration(self, i: int) -> tuple[Duration, int] | None:
        """pendant 2h, durée 1h30, durée : 45 min, for 2 hours, lasting 1 hour."""
        if self.w(i) not in ("pendant", "duree", "for", "lasting", "during"):
            return None
        j = i + 1
        if self.sym(j) == ":":
            j += 1
        span = self.read_length(j)
        if span is None:
            return None
        value, j, _ = span
        return Duration(value), j

    def read_offset(self, i: int) -> tuple[Offset, int] | None:
        """dans 3 jours, dans quinze jours (14 days), dans huit jours (7), in two weeks."""
        if self.w(i) not in ("dans", "in"):
            return None
        span = self.read_length(i + 1)
        if span is None:
            return None
        value, j, unit = span
        if unit in ("jour", "jours") and value.days in (8, 15):
            # French counts the day you are in: "dans huit jours" is a week from today
            value = Length(days=value.days - 1)
        return Offset(value), j

    # ---- days ----
    def weekday_at(self, i: int, plural: bool = False) -> int | None:
        w = self.w(i)
        if w is None:
            return None
        if w in self.weekdays:
            return self.weekdays[w]
        if w == TUESDAY_OR_MARCH and self.lang == "fr":  # in English, "mar" is March
            return 1
        if plural and w in self.weekdays_plural:
            return self.weekdays_plural[w]
        return None

    def month_at(self, i: int, after_day: bool) -> int | None:
        w = self.w(i)
        if w in self.months:
            return self.months[w]
        if w == TUESDAY_OR_MARCH and after_day:
            return 3
        return None

    def _year_at(self, i: int) -> int | None:
        if self.n(i) is not None and self.digits(i) == 4 and self.w(i + 1) not in HOUR_WORDS \
                and self.sym(i + 1) != ":":
            return self.n(i)
        return None

    def _year_after_month(self, k: int) -> tuple[int | None, int]:
        """The year after a month name at k-1, if any, and where reading goes on: "avr 2027",
        and "avr. 2027" (the dot of an abbreviated month)."""
        year = self._year_at(k)
        if year is not None:
            return year, k + 1
        if self.sym(k) == "." and self._year_at(k + 1) is not None:
            return self._year_at(k + 1), k + 2
        return None, k

    def read_date(self, i: int) -> tuple[DateSpec, int] | None:
        """le 12 juin [2027], jeudi 1er avril, 12/06[/2027], 2027-06-12, april 6[, 2027],
        the 6th of april, le 25 (a day of the month), jeudi 18 (must be a Thursday)."""
        j = i
        led = False
        k = self.any_phrase(j, ("on the", "le", "on", "the"))
        if k is not None:
            j, led = k, True
        weekday = self.weekday_at(j)
        weekday_word = self.w(j)
        if weekday is not None:
            j += 1
            if self.sym(j) == ",":
                j += 1
            k = self.any_phrase(j, ("le", "the"))
            if k is not None:
                j = k
        if self.w(j) in ("premier", "first") and self.month_at(j + 1, True) is not None:
            year, k = self._year_after_month(j + 2)  # "le premier mai": the 1st
            return DateSpec(1, self.month_at(j + 1, True), year, weekday), k
        k = self.any_phrase(j, ("the first of", "first of"))
        if k is not None and self.month_at(k, True) is not None:
            year, kk = self._year_after_month(k + 1)
            return DateSpec(1, self.month_at(k, True), year, weekday), kk
        n = self.n(j)
        if n is not None:
            # 2027-06-12
            if self.digits(j) == 4 and self.sym(j + 1) == "-" and (month_n := self.n(j + 2)) is not None \
                    and self.sym(j + 3) == "-" and (day_n := self.n(j + 4)) is not None:
                end = j + 5
                if self.w(end) == "t":
                    end += 1
                return self._numeric(day_n, month_n, n, weekday, i, end), end
            if self.digits(j) > 2:
                return None
            # 12/06, 12/06/2027, 12/06/27
            if self.sym(j + 1) == "/" and (month_n := self.n(j + 2)) is not None and self.digits(j + 2) <= 2:
                end = j + 3
                year = None
                if self.sym(end) == "/" and (year_n := self.n(end + 1)) is not None \
                        and self.digits(end + 1) in (2, 4):
                    year = year_n
                    if self.digits(end + 1) == 2:  # "12/06/27"; "01/01/0099" is the year 99
                        year += 2000
                    end += 2
                return self._numeric(n, month_n, year, weekday, i, end), end
            k = j + 1
            suffix = self.w(k) in ORDINAL_SUFFIXES
            if suffix:
                k += 1
            if self.w(k) == "of" and self.month_at(k + 1, True):
                k += 1
            month = self.month_at(k, after_day=True)
            if month is not None:
                year, k = self._year_after_month(k + 1)
                if not 1 <= n <= 31:
                    raise self.not_a_date(i, k)
                return DateSpec(n, month, year, weekday), k
            # a day of the month alone: "le 25", "jeudi 18", "the 25th"
            if not (led or weekday is not None or suffix):
                return None
            if self.w(k) in HOUR_WORDS or self.w(k) in MINUTE_WORDS or self.sym(k) in (":", "-") \
                    or self.w(k) in ("am", "pm") or self.w(k) in DAY_WORDS | WEEK_WORDS | MONTH_WORDS:
                return None
            if not 1 <= n <= 31:
                raise self.not_a_date(i, k)
            if weekday_word == TUESDAY_OR_MARCH:
                raise self.fail(
                    f"« {self.quote(i, k)} » : mardi ou mars ? Écrivez le mot en entier.",
                    f'"{self.quote(i, k)}": Tuesday or March? Write the word in full.')
            return DateSpec(n, None, None, weekday), k
        # month first: april 6, april 6th, 2027, apr. 6
        month = self.month_at(j, after_day=False)
        if month is not None and self.sym(j + 1) == "." and self.n(j + 2) is not None:
            j += 1  # the dot of an abbreviated month
        if month is not None and (day := self.n(j + 1)) is not None and self.digits(j + 1) <= 2 \
                and self.w(j + 2) not in HOUR_WORDS and self.sym(j + 2) != ":" \
                and self.w(j + 2) not in ("am", "pm"):
            k = j + 2
            if self.w(k) in ORDINAL_SUFFIXES:
                k += 1
            kk = k + 1 if self.sym(k) == "," else k
            year = self._year_at(kk)
            if year is not None:
                k = kk + 1
            if not 1 <= day <= 31:
                raise self.not_a_date(i, k)
            return DateSpec(day, month, year, weekday), k
        return None

    def _numeric(self, day: int, month: int, year: int | None, weekday: int | None,
                 i: int, j: int) -> DateSpec:
        if not (1 <= day <= 31 and 1 <= month <= 12):
            raise self.fail(f"« {self.quote(i, j)} » n'est pas une date (jour/mois).",
                            f'"{self.quote(i, j)}" is not a date (day/month).')
        return DateSpec(day, month, year, weekday)

    def read_weekday(self, i: int) -> tuple[WeekdaySpec, int] | None:
        """jeudi, le jeudi, jeudi prochain, ce jeudi, next thursday, jeudi en huit."""
        j = i
        k = self.any_phrase(j, ("le", "ce", "this", "next", "on"))
        next_word = False
        if k is not None:
            next_word = self.w(j) == "next"
            j = k
        weekday = self.weekday_at(j)
        if weekday is None:
            return None
        j += 1
        if self.w(j) in ("prochain", "prochaine"):
            j, next_word = j + 1, True
        elif self.phrase(j, "qui vient") is not None:
            j, next_word = j + 2, True
        extra = 0
        if self.w(j) == "en":
            what = self.w(j + 1) or self.n(j + 1)
            if what in ("huit", 8):
                extra, j = 1, j + 2
            elif what in ("quinze", 15):
                extra, j = 2, j + 2
        return WeekdaySpec(weekday, extra, next_word), j

    def read_dayrel(self, i: int) -> tuple[DayRel, int] | None:
        for words, offset in DAY_RELATIVES:
            j = self.phrase(i, words)
            if j is not None:
                return DayRel(offset), j
        return None

    def read_period(self, i: int) -> tuple[list[object], int] | None:
        """matin / apres-midi / soir (and "ce soir", "tonight"): checks the hour."""
        for words, values in PERIODS:
            j = self.phrase(i, words)
            if j is not None:
                return list(values), j
        return None

    # ---- recurrences ----
    def _next_item(self, j: int, articles: tuple[str, ...]) -> int:
        """Past what joins two items of a list: "," then "et"/"and" then an article
        ("le mardi, et le vendredi"); j itself when nothing joins them."""
        k = j
        if self.sym(k) == ",":
            k += 1
        if self.w(k) in ("et", "and"):
            k += 1
        kk = self.any_phrase(k, articles)
        return k if kk is None else kk

    def _weekday_list(self, j: int, first: int) -> tuple[tuple[int, ...], int]:
        days = [first]
        while True:
            k = self._next_item(j, ("le", "les", "on"))
            day = self.weekday_at(k, plural=True)
            if day is None or k == j:
                break
            days.append(day)
            j = k + 1
        return tuple(dict.fromkeys(days)), j

    def read_freq(self, i: int) -> tuple[Freq | list[object], int] | None:
        """A rule's frequency; "tous les matins" is two pieces, a daily rule and its period."""
        k: int | None
        w = self.w(i)
        if w in ("tous", "toutes") and self.w(i + 1) == "les":
            j = i + 2
            unit = self.w(j)
            if unit == "jours":
                return Freq("DAILY"), j + 1
            if unit in ("matins", "soirs"):
                return [Freq("DAILY"), Period(unit[:-1])], j + 1
            if unit == "semaines":
                return Freq("WEEKLY"), j + 1
            if unit == "mois":
                return Freq("MONTHLY"), j + 1
            day = self.weekday_at(j, plural=True)
            if day is not None:
                days, k = self._weekday_list(j + 1, day)
                return Freq("WEEKLY", 1, days), k
            q = self.qty(j)
            if q is not None:
                count, k = q
                return self._every_n(count, self.w(k), i, k + 1)
            return None
        if w in ("chaque", "every", "each"):
            j = i + 1
            unit = self.w(j)
            if unit in ("jour", "day"):
                return Freq("DAILY"), j + 1
            if unit in ("semaine", "week"):
                return Freq("WEEKLY"), j + 1
            if unit in ("mois", "month"):
                return Freq("MONTHLY"), j + 1
            if unit in ("weekday", "weekdays"):
                return Freq("WEEKLY", 1, (0, 1, 2, 3, 4)), j + 1
            if unit == "other":
                day = self.weekday_at(j + 1)
                if day is not None:
                    days, k = self._weekday_list(j + 2, day)
                    return Freq("WEEKLY", 2, days), k
                if self.w(j + 1) == "week":
                    return Freq("WEEKLY", 2), j + 2
                if self.w(j + 1) == "day":
                    return Freq("DAILY", 2, needs_anchor=True), j + 2
                if self.w(j + 1) == "month":
                    return Freq("MONTHLY", 2, needs_anchor=True), j + 2
                return None
            day = self.weekday_at(j, plural=(w != "chaque"))
            if day is not None:
                days, k = self._weekday_list(j + 1, day)
                return Freq("WEEKLY", 1, days), k
            q = self.qty(j)
            if q is not None and w != "chaque":
                count, k = q
                return self._every_n(count, self.w(k), i, k + 1)
            return None
        if w in ("daily", "quotidiennement"):
            return Freq("DAILY"), i + 1
        if w in ("weekly", "hebdomadaire"):
            return Freq("WEEKLY"), i + 1
        if w in ("monthly", "mensuel", "mensuelle"):
            return Freq("MONTHLY"), i + 1
        # un jeudi sur deux, une semaine sur deux, un mois sur deux
        if w in ("un", "une", "one"):
            j = i + 1
            day = self.weekday_at(j)
            unit = self.w(j)
            if day is None and unit not in ("semaine", "mois", "week", "month"):
                return None
            k = self.phrase(j + 1, "sur") or self.phrase(j + 1, "in")
            if k is None:
                return None
            q = self.qty(k)
            if q is None:
                return None
            count, k = q
            if count < 2:
                return None
            kind = "MONTHLY" if unit in ("mois", "month") else "WEEKLY"
            if count > LONGEST_INTERVAL[kind]:
                raise self.interval_error(i, k, kind)
            if day is not None:
                return Freq("WEEKLY", count, (day,)), k
            if unit in ("semaine", "week"):
                return Freq("WEEKLY", count), k
            return Freq("MONTHLY", count, needs_anchor=True), k
        return None

    def _every_n(self, count: int, unit: str | None, i: int, j: int) -> tuple[Freq, int] | None:
        """"tous les 3 jours", "toutes les 2 semaines", "every 3 months": the unit at j - 1."""
        if unit in DAY_WORDS:
            kind = "DAILY"
        elif unit in WEEK_WORDS:
            kind = "WEEKLY"
        elif unit in MONTH_WORDS:
            kind = "MONTHLY"
        else:
            return None
        if not 1 <= count <= LONGEST_INTERVAL[kind]:
            raise self.interval_error(i, j, kind)
        if kind == "DAILY":
            if unit.startswith("jour") and count in (8, 15):  # French counts the day you are in
                return Freq("WEEKLY", 1 if count == 8 else 2), j
            if count % 7 == 0:
                return Freq("WEEKLY", count // 7), j
        return Freq(kind, count, needs_anchor=kind != "WEEKLY" and count > 1), j

    def read_ordinal_weekdays(self, i: int) -> tuple[OrdinalWeekdays, int] | None:
        """le premier mardi du mois, chaque dernier jeudi du mois, tous les premiers lundis
        du mois, the last thursday of the month, le 1er et le 3e lundi du mois."""
        j = i
        k = self.any_phrase(j, ("tous les", "toutes les", "chaque", "every", "each", "on the",
                                "le", "la", "les", "the"))
        if k is not None:
            j = k
        first = self.ordinal_number(j)
        if first is None:
            return None
        ordinals = [first[0]]
        j = first[1]
        while True:
            k = self._next_item(j, ("le", "la", "les", "the"))
            more = self.ordinal_number(k) if k != j else None
            if more is None:
                break
            ordinals.append(more[0])
            j = more[1]
        day = self.weekday_at(j, plural=True)
        if day is None:
            return None
        j += 1
        k = self.any_phrase(j, OF_MONTH)
        return OrdinalWeekdays(tuple(dict.fromkeys(ordinals)), day, k is not None), (k or j)

    def read_monthday(self, i: int) -> tuple[MonthDay, int] | None:
        """le 10 (with "tous les mois"), le 10 de chaque mois, on the 10th of every month,
        tous les 10 du mois."""
        j = i
        k = self.any_phrase(j, ("tous les", "on the", "le", "the", "on"))
        if k is None:
            return None
        j = k
        day: int | None
        if self.w(j) in ("premier", "first"):
            day, j = 1, j + 1
        else:
            day = self.n(j)
            if day is None or self.digits(j) > 2:
                return None
            j += 1
            if self.w(j) in ORDINAL_SUFFIXES:
                j += 1
        if self.w(j) in HOUR_WORDS or self.sym(j) in (":", "/", "-") or self.month_at(j, True) \
                or self.w(j) in ("am", "pm"):
            return None
        k = self.any_phrase(j, OF_MONTH)
        if not 1 <= day <= 31:
            return None
        if day > 28:
            raise self.fail(
                f"Le {day} n'existe pas tous les mois : choisissez un jour de 1 à 28, "
                "ou « le dernier <jour> du mois ».",
                f"The {day}th is not in every month: choose a day from 1 to 28, "
                'or "the last <weekday> of the month".')
        return MonthDay(day, k is not None), (k or j)

    def read_daylist(self, i: int) -> tuple[DayList, int] | None:
        """le mardi et le vendredi, on tuesday and friday, du lundi au vendredi, en semaine."""
        k = self.any_phrase(i, ("du", "from"))
        if k is not None:
            first = self.weekday_at(k)
            kk = self.any_phrase(k + 1, ("au", "to", "through"))
            if first is not None and kk is not None:
                last = self.weekday_at(kk)
                if last is not None and last > first:
                    return DayList(tuple(range(first, last + 1))), kk + 1
            return None
        k = self.any_phrase(i, ("en semaine", "on weekdays", "weekdays"))
        if k is not None:
            return DayList((0, 1, 2, 3, 4)), k
        k = self.any_phrase(i, ("le", "les", "on"))
        if k is None:
            return None
        day = self.weekday_at(k, plural=True)
        if day is None:
            return None
        days, j = self._weekday_list(k + 1, day)
        return DayList(days), j

    def read_anchor(self, i: int) -> tuple[Anchor, int] | None:
        """a partir du 14 avril, des le 3 decembre, starting april 14, jusqu'au 30 juin,
        until june 30."""
        starts = ("a partir du", "a partir de", "a partir d", "des le", "des", "starting on",
                  "starting from", "starting", "beginning on", "beginning", "from", "du")
        untils = ("jusqu au", "jusqu a", "au", "until", "till", "through", "up to", "to")
        for role, phrases in (("start", starts), ("until", untils)):
            k = self.any_phrase(i, phrases)
            if k is None:
                continue
            for read in (self.read_date, self.read_dayrel, self.read_weekday):
                got = read(k)
                if got is not None:
                    return Anchor(role, got[0]), got[1]
            return None
        return None
