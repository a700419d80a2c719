"""The words the time layer knows, in French and English, after normalisation (lower case,
no accents, apostrophes and hyphens of compound words removed). Everything else is refused.

Month and weekday names, with their abbreviations and spellings, come from dateparser's
French and English locale data (`dateparser.languages.loader.default_loader`), filtered so
that no name can make a reading less safe (see `calendar_names`). The lists below are what
the rules need beyond that data: a few abbreviations dateparser lacks, number words,
ordinals, vague words and the words that tell French from English."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .names import MONTHS_EN, MONTHS_FR, WEEKDAYS_EN, WEEKDAYS_FR
from .tokens import normalise

# ---- month and weekday names: dateparser's data, filtered -------------------------------

# "mar" is mardi in French and March in English: never a plain name. The grammar reads it as
# mardi in a French request, as March only right after a day number, and refuses "mar 6".
TUESDAY_OR_MARCH = "mar"
# Abbreviations members write that dateparser's data does not have.
EXTRA_WEEKDAYS: dict[str, dict[str, int]] = {
    "fr": {"merc": 2, "vend": 4},
    "en": {"thur": 3, "thurs": 3},
}
EXTRA_MONTHS: dict[str, dict[str, int]] = {"fr": {}, "en": {}}
# A name shorter than this is refused: dateparser's two-letter abbreviations ("lu", "ma",
# "je", "me", "sa", "di", "tu", "we", "th", "fr", "su") are ordinary words or ordinal suffixes.
MIN_NAME_LENGTH = 3
# dateparser's keys for the weekdays and months, in order (Monday = 0, January = 1)
_WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")
LANGUAGES = ("fr", "en")

NUMBER_WORDS: dict[str, int] = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "dixsept": 17, "dixhuit": 18, "dixneuf": 19, "vingt": 20,
    "trente": 30,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30,
}

# ordinals for "le premier lundi du mois"; -1 is the last
ORDINALS: dict[str, int] = {
    "premier": 1, "premiere": 1, "premiers": 1, "first": 1,
    "deuxieme": 2, "deuxiemes": 2, "second": 2, "seconde": 2, "seconds": 2,
    "troisieme": 3, "troisiemes": 3, "third": 3,
    "quatrieme": 4, "quatriemes": 4, "fourth": 4,
    "cinquieme": 5, "fifth": 5,
    "dernier": -1, "derniere": -1, "derniers": -1, "dernieres": -1, "last": -1,
}
# "1er", "2e", "2eme", "2nd", "3rd", "4th": the suffix after a number
ORDINAL_SUFFIXES = {"er", "ere", "e", "eme", "st", "nd", "rd", "th"}

# Words that mean a vague moment: refused with a message saying so.
VAGUE = {
    "debut", "fin", "mi", "milieu", "bientot", "tard", "tot", "prochainement", "semaine",
    "weekend", "matinee", "soiree", "journee", "quelques", "plusieurs", "jour", "jours",
    "vers", "environ", "autour", "soon", "later", "early", "late", "mid", "around", "about",
    "week", "some", "sometime", "few", "several", "day", "beginning", "end", "moment",
    "maintenant", "now", "asap", "dessus",
}

# Words that only one language uses, to guess the language of a request; the month and
# weekday names only one language uses are added from dateparser's data.
FRENCH_WORDS = {
    "demain", "aujourdhui", "apresdemain", "hier", "dans", "jours", "semaines", "heures",
    "heure", "le", "la", "les", "du", "de", "des", "et", "a", "tous", "toutes", "chaque",
    "sur", "midi", "minuit", "prochain", "prochaine", "pendant", "duree", "entre", "partir",
    "jusqu", "au", "mois", "quinze", "huit", "deux", "trois", "premier", "dernier",
    "troisieme", "deuxieme", "quatrieme", "semaine", "jour", "soir", "matin", "debut", "fin",
    "plus", "tard", "un", "une", "ces", "en", "er", "h",
}
ENGLISH_WORDS = {
    "tomorrow", "today", "yesterday", "in", "days", "weeks", "hours", "hour", "the", "of",
    "and", "at", "on", "every", "each", "other", "noon", "midnight", "next", "for", "between",
    "from", "to", "until", "starting", "month", "first", "last", "second", "third", "fourth",
    "week", "day", "evening", "morning", "afternoon", "am", "pm", "soon", "later", "three",
    "two", "th", "st", "nd", "rd", "minutes", "daily", "weekly", "monthly", "tonight", "this",
    "night", "half", "lasting", "during", "till", "through", "beginning", "weekday", "weekdays",
}

# Words the grammar reads as something else: a name in dateparser's data that is one of them
# is not read as a name (except "sept", September and seven: a month is read only next to a
# day number, a number only before a unit or "heures").
RESERVED = (set(NUMBER_WORDS) | set(ORDINALS) | ORDINAL_SUFFIXES | VAGUE | set("""
    a an at au aux and avant apres ce cet chaque d dans de des du duree during each en entre et
    every for from in jusqu l la lasting le les of on other par partir pendant qui sur the this
    through till to tous toutes until up vient next starting beginning prochain prochaine
    hebdomadaire mensuel mensuelle quotidiennement daily weekly monthly weekday weekdays
    h heure heures hr hrs hour hours min mins mn minute minutes jour jours day days semaine
    semaines week weeks mois month months demiheure demi demie quart half midi minuit noon
    midnight am pm t matin matins soir soirs apresmidi morning afternoon evening night tonight
    aujourdhui aujourd hui today demain tomorrow apresdemain hier yesterday avanthier
""".split()))
SHARED_WITH_NUMBERS = {"sept"}


# ---- loading dateparser's data, once ----------------------------------------------------

@dataclass(frozen=True)
class CalendarNames:
    """The month and weekday names the grammar reads, built from dateparser's locales."""
    weekdays: dict[str, int]            # "jeudi", "jeu", "thursday", "thu" -> 3
    weekdays_plural: dict[str, int]     # "jeudis", "thursdays" -> 3 (recurrences only)
    months: dict[str, int]              # "avril", "avr", "april", "apr" -> 4
    refused: frozenset[str]             # names in the data that are not read (too short,
                                        # ambiguous or a word the grammar reads otherwise)
    french_words: frozenset[str]        # FRENCH_WORDS and the names only French uses
    english_words: frozenset[str]
    locales: tuple[Any, ...]            # dateparser's Locale objects for fr and en


_names: CalendarNames | None = None
_lock = threading.Lock()


def calendar_names() -> CalendarNames:
    """The names, loaded from dateparser on first use (warm_up() does it at start)."""
    names = _names
    return names if names is not None else load_calendar_names()


def _clean(name: str) -> str | None:
    """dateparser's spelling as our tokenizer sees it, or None if it is not one word."""
    word = normalise(name).strip().rstrip(".")
    return word if word.isascii() and word.isalpha() else None


def _build(locales: dict[str, Any]) -> CalendarNames:
    # every (kind, value) each normalised word stands for, in any of the two languages
    meanings: dict[str, set[tuple[str, int]]] = {}
    langs_of: dict[str, set[str]] = {}
    refused: set[str] = set()
    for lang, locale in locales.items():
        tables = (("weekday", _WEEKDAY_KEYS, 0, EXTRA_WEEKDAYS[lang]),
                  ("month", _MONTH_KEYS, 1, EXTRA_MONTHS[lang]))
        for kind, keys, first, extra in tables:
            for value, key in enumerate(keys, start=first):
                spellings = list(locale.info.get(key, ()))
                spellings += [n for n, v in extra.items() if v == value]
                for name in spellings:
                    word = _clean(name)
                    if word is None or len(word) < MIN_NAME_LENGTH:
                        refused.add(word or name)
                        continue
                    meanings.setdefault(word, set()).add((kind, value))
                    langs_of.setdefault(word, set()).add(lang)
    weekdays: dict[str, int] = {}
    months: dict[str, int] = {}
    for word, means in meanings.items():
        if len(means) > 1:          # "mar": mardi and March; read only by the grammar's rule
            refused.add(word)
            continue
        if word in RESERVED and word not in SHARED_WITH_NUMBERS:
            refused.add(word)       # a word the grammar reads as something else
            continue
        ((kind, value),) = means
        (weekdays if kind == "weekday" else months)[word] = value
    _check(weekdays, months)
    plural = {name + "s": day for name, day in weekdays.items()
              if len(name) > 4 and not name.endswith("s")}  # "jeudis", not "thurss"
    only = {lang: {w for w, ls in langs_of.items() if ls == {lang} and w not in refused}
            for lang in LANGUAGES}
    return CalendarNames(weekdays, plural, months, frozenset(refused),
                         frozenset(FRENCH_WORDS | only["fr"]),
                         frozenset(ENGLISH_WORDS | only["en"]),
                         tuple(locales[lang] for lang in LANGUAGES))


def _check(weekdays: dict[str, int], months: dict[str, int]) -> None:
    """The full names must be there, with their meaning: a change in dateparser's data that
    would drop or move one fails here, at start, instead of refusing or misreading later."""
    for table, lists, first in ((weekdays, (WEEKDAYS_FR, WEEKDAYS_EN), 0),
                                (months, (MONTHS_FR, MONTHS_EN), 1)):
        for names in lists:
            for value, name in enumerate(names, start=first):
                if table.get(normalise(name)) != value:
                    raise RuntimeError(f"dateparser's locale data does not read {name!r} as "
                                       "expected; check the installed dateparser version")
    if TUESDAY_OR_MARCH in weekdays or TUESDAY_OR_MARCH in months:
        raise RuntimeError("'mar' must stay ambiguous")


def load_calendar_names() -> CalendarNames:
    """Load dateparser's French and English locale data and build the tables; once."""
    global _names
    with _lock:
        if _names is None:
            from dateparser.languages.loader import default_loader
            _names = _build({lang: default_loader.get_locale(lang) for lang in LANGUAGES})
        return _names
