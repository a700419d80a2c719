"""Finding date expressions inside free text: where, in a chat message, the words are that
the time layer could read ("On se retrouve **jeudi 18h** à la MESHS ?").

The readers of the grammar are tried at every word of the text; consecutive pieces (a comma
may stand between two) make one expression. This module only says where the expressions
are and what kinds of pieces they hold; reading one (and refusing it) stays the job of
read_event / read_recurrence on its text, with all their rules. It reads no date itself."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .errors import WhenError
from .grammar import (DAY_RELATIVES, DAY_WORDS, HOUR_WORDS, MINUTE_WORDS, MONTH_WORDS, PERIODS,
                      WEEK_WORDS, Anchor, DateSpec, DayList, DayRel, Duration, Freq, MonthDay,
                      Offset, OrdinalWeekdays, Period, Reader, TimeSpec, WeekdaySpec)
from .lexicon import TUESDAY_OR_MARCH, calendar_names
from .scan import detect_language
from .tokens import Token, tokenize

# What each piece says about its expression.
_KINDS: dict[type, str] = {
    TimeSpec: "time", Duration: "duration", Offset: "offset", DateSpec: "date",
    WeekdaySpec: "weekday", DayRel: "day", Period: "period", Freq: "rule",
    OrdinalWeekdays: "rule", MonthDay: "monthday", DayList: "days", Anchor: "anchor",
}
_BLANK = "~"  # a word no reader knows
# Every piece holds, at most this many words after its first one, a number, a month or
# weekday name or one of these words; the readers are tried only there, so that a long
# message costs a pass over its words rather than every reader at every word.
_ANCHOR_WORDS = frozenset(
    HOUR_WORDS | MINUTE_WORDS | DAY_WORDS | WEEK_WORDS | MONTH_WORDS
    | {w for phrase, _ in DAY_RELATIVES for w in phrase.split()} - {"the", "after", "day"}
    | {w for phrase, _ in PERIODS for w in phrase.split()} - {"ce", "cet", "this"}
    | {"midi", "minuit", "noon", "midnight", "daily", "weekly", "monthly", "hebdomadaire",
       "mensuel", "mensuelle", "quotidiennement", "weekday", "weekdays", "demiheure", "half",
       "quart", "semaine"})
_REACH = 5


@dataclass(frozen=True)
class Expression:
    """Consecutive pieces the grammar recognised, as a span of the text."""
    text: str            # as written
    start: int           # characters in the text
    end: int
    first: int           # tokens: the expression is tokens[first:last]
    last: int
    kinds: frozenset[str]

    @property
    def names_a_moment(self) -> bool:
        """Anything more than a part of the day or a length ("le soir", "pendant 2h")."""
        return bool(self.kinds - {"period", "duration"})


@dataclass(frozen=True)
class Found:
    tokens: list[Token]              # of the whole text, as bot.when.tokens cuts it
    expressions: list[Expression]
    unreadable: list[int]            # tokens where a reader found an impossible piece (25h, 13/13)
    lang: str                        # "fr" or "en", guessed from the words


class _TextReader(Reader):
    """The grammar's readers, with `phrase` and `any_phrase` checking pre-split words: in
    free text the readers are tried at many more words than in a request, and these two
    (fixed phrases tried at each word) are most of that time. Same answers as Reader's
    (tests/listening/test_find.py checks it)."""

    def phrase(self, i: int, words: str) -> int | None:
        split = _SPLITS.get(words)
        if split is None:
            split = _SPLITS[words] = words.split()
        t = self.t
        j = i + len(split)
        if i < 0 or j > len(t):
            return None
        for tok, word in zip(t[i:j], split):
            if tok.text != word or tok.kind != "word":
                return None
        return j

    def any_phrase(self, i: int, phrases: Iterable[str]) -> int | None:
        if not 0 <= i < len(self.t) or self.t[i].kind != "word":
            return None
        first = self.t[i].text
        for words in phrases:
            split = _SPLITS.get(words)
            if split is None:
                split = _SPLITS[words] = words.split()
            if split[0] == first:
                j = self.phrase(i, words)
                if j is not None:
                    return j
        return None


_SPLITS: dict[str, list[str]] = {}


def _mask_abbreviations(tokens: list[Token], text: str) -> list[Token]:
    """In free text, a short weekday name is an ordinary word far more often than a day:
    "mon" (my), "mer" (sea), "jeu" (game), "sam" (Sam), "sun", "wed", "sat". One counts as
    a weekday only when a dot or a number follows it ("sam. 27", "jeu 25")."""
    names = calendar_names()
    full = names.weekdays_plural  # plural forms exist only for full names ("jeudis")
    out = list(tokens)
    for i, tok in enumerate(tokens):
        short = tok.text == TUESDAY_OR_MARCH or (tok.text in names.weekdays
                                                   and tok.text + "s" not in full)
        if tok.kind != "word" or not short:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and (nxt.kind == "num" or (nxt.text == "." and nxt.kind == "sym")):
            continue
        out[i] = Token("word", _BLANK, tok.start, tok.end)
    return out


def find_expressions(text: str, lang: str | None = None) -> Found:
    """Every date expression in `text`, in order. Read with the grammar's readers at each
    word, the longest piece winning; pieces next to each other (or with a comma between)
    make one expression."""
    tokens = tokenize(text)
    lang_ = lang if lang in ("fr", "en") else detect_language(tokens)
    masked = _mask_abbreviations(tokens, text)
    reader = _TextReader(masked, text, "event", lang_)
    readers = (reader.read_timespec, reader.read_duration, reader.read_offset, reader.read_date,
               reader.read_weekday, reader.read_dayrel, reader.read_period, reader.read_freq,
               reader.read_ordinal_weekdays, reader.read_daylist, reader.read_monthday,
               reader.read_anchor)
    pieces: list[tuple[int, int, set[str]]] = []
    unreadable: list[int] = []
    names = calendar_names()
    anchors = [i for i, t in enumerate(masked)
               if t.kind == "num" or t.text in _ANCHOR_WORDS or t.text in names.weekdays
               or t.text in names.weekdays_plural or t.text in names.months
               or t.text == TUESDAY_OR_MARCH]
    nearest = 0  # index in `anchors` of the first anchor at or after i
    i = 0
    while i < len(masked):
        while nearest < len(anchors) and anchors[nearest] < i:
            nearest += 1
        if nearest == len(anchors):
            break
        if anchors[nearest] - i > _REACH:
            i = anchors[nearest] - _REACH
            continue
        best: tuple[int, object] | None = None
        for read in readers:
            try:
                got = read(i)
            except WhenError:
                unreadable.append(i)
                got = None
            if got is not None and (best is None or got[1] > best[0]):
                best = (got[1], got[0])
        if best is None:
            i += 1
            continue
        end, value = best
        values = value if isinstance(value, list) else [value]
        pieces.append((i, end, {_KINDS[type(v)] for v in values}))
        i = end
    expressions: list[Expression] = []
    run: list[tuple[int, int, set[str]]] = []
    for piece in pieces:
        if run and not _joined(reader, run[-1][1], piece[0]):
            expressions.append(_expression(text, tokens, run))
            run = []
        run.append(piece)
    if run:
        expressions.append(_expression(text, tokens, run))
    return Found(tokens, expressions, unreadable, lang_)


def _joined(reader: Reader, end: int, start: int) -> bool:
    """Two pieces belong to one expression when they touch, or when only a comma is
    between them ("mercredi 31 mars, 18h")."""
    return start == end or (start == end + 1 and reader.sym(end) == ",")


def _expression(text: str, tokens: list[Token], run: list[tuple[int, int, set[str]]]) -> Expression:
    first, last = run[0][0], run[-1][1]
    start, end = tokens[first].start, tokens[last - 1].end
    kinds = frozenset(k for _, _, ks in run for k in ks)
    return Expression(text[start:end], start, end, first, last, kinds)
