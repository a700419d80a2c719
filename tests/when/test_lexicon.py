"""Month and weekday names come from dateparser's French and English locale data, filtered so
that no name makes a reading less safe: two-letter abbreviations, names with two meanings
("mar": mardi / March) and words the grammar reads otherwise are refused."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from dateparser.languages.loader import default_loader

from bot.when import WhenError, read_event, warm_up
from bot.when import lexicon
from bot.when.lexicon import _build, calendar_names, load_calendar_names
from bot.when.tokens import normalise

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2027, 3, 24, 10, 0, tzinfo=PARIS)
ROOT = Path(__file__).resolve().parents[2]
# dateparser's keys for the weekdays (Monday = 0) and the months (January = 1)
WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")

# the hand-written tables the layer had before it took its names from dateparser: all of
# them must still be read, with the same meaning
OLD_WEEKDAYS = {
    "lundi": 0, "lun": 0, "monday": 0, "mon": 0,
    "mardi": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "mercredi": 2, "mer": 2, "merc": 2, "wednesday": 2, "wed": 2,
    "jeudi": 3, "jeu": 3, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "vendredi": 4, "ven": 4, "vend": 4, "friday": 4, "fri": 4,
    "samedi": 5, "sam": 5, "saturday": 5, "sat": 5,
    "dimanche": 6, "dim": 6, "sunday": 6, "sun": 6,
}
OLD_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "avril": 4, "avr": 4, "april": 4, "apr": 4, "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6, "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8, "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10, "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}


def test_old_names_are_all_still_read() -> None:
    names = calendar_names()
    assert {w: names.weekdays.get(w) for w in OLD_WEEKDAYS} == OLD_WEEKDAYS
    assert {w: names.months.get(w) for w in OLD_MONTHS} == OLD_MONTHS


def test_names_come_from_dateparser() -> None:
    names = calendar_names()
    for lang in ("fr", "en"):
        info = default_loader.get_locale(lang).info
        for table, ks, first in ((names.weekdays, WEEKDAY_KEYS, 0), (names.months, MONTH_KEYS, 1)):
            for value, key in enumerate(ks, start=first):
                for name in info[key]:
                    word = normalise(name).rstrip(".")
                    if word in names.refused:
                        continue
                    assert table[word] == value, (lang, name)
    # the same locale objects dateparser caches, loaded once
    assert names.locales == (default_loader.get_locale("fr"), default_loader.get_locale("en"))
    assert load_calendar_names() is names is calendar_names()


def test_what_is_refused_from_the_data() -> None:
    refused = calendar_names().refused
    # two-letter abbreviations are ordinary words ("je", "me", "sa") or ordinal suffixes ("th")
    assert {"lu", "ma", "me", "je", "ve", "sa", "di", "mo", "tu", "we", "th", "fr", "su"} <= refused
    assert "mar" in refused  # mardi / March: only the grammar's own rule reads it
    names = calendar_names()
    assert all(len(w) >= 3 for w in names.weekdays | names.months)
    assert not set(names.weekdays) & set(names.months)


@pytest.mark.parametrize("text,start", [
    ("15 aoû 11h", "2027-08-15T11:00:00+02:00"),   # "aoû": a spelling only dateparser had
    ("le 15 aoû. à 11h", "2027-08-15T11:00:00+02:00"),
    ("3 févr. 2028 9h", "2028-02-03T09:00:00+01:00"),
    ("le 3 févr. 2028 à 9h", "2028-02-03T09:00:00+01:00"),
    ("tues 6 april 2pm", "2027-04-06T14:00:00+02:00"),
    ("mar. 6 avr. 14h", "2027-04-06T14:00:00+02:00"),
    ("25 mar 10h", "2027-03-25T10:00:00+01:00"),
])
def test_dateparser_spellings_are_read(text: str, start: str) -> None:
    assert read_event(text, NOW).start.isoformat() == start


@pytest.mark.parametrize("text", ["ma 6 avril 14h", "je 18h", "me 18h", "sa 10h", "th 6pm",
                                  "fr 6pm", "su 10am", "mo 9am", "6 ma 14h", "mar 6", "next mar"])
def test_short_and_ambiguous_names_are_refused(text: str) -> None:
    with pytest.raises(WhenError):
        read_event(text, NOW)


def _locale(**info) -> SimpleNamespace:
    real = default_loader.get_locale("fr").info
    keys = [k for k in real if k in info or k in WEEKDAY_KEYS or k in MONTH_KEYS]
    return SimpleNamespace(info={k: info.get(k, real.get(k, [])) for k in keys})


def test_a_change_in_the_data_cannot_make_a_reading_less_safe() -> None:
    en = default_loader.get_locale("en")
    # a future name that means two things, a name that is a word of the grammar, a phrase
    fr = _locale(saturday=["sam", "samedi", "sa", "oct"], monday=["lun", "lundi", "le"],
                 june=["juin", "jun", "mi juin"])
    names = _build({"fr": fr, "en": en})
    assert "oct" not in names.months and "oct" not in names.weekdays
    assert "le" not in names.weekdays and "le" in names.refused
    assert "mi juin" not in names.months and "mijuin" not in names.months
    # a full name missing from the data fails at start, not at the first reading
    broken = _locale(thursday=["jeu"])
    with pytest.raises(RuntimeError):
        _build({"fr": broken, "en": en})


def test_import_is_light_and_warm_up_loads_dateparser() -> None:
    code = ("import sys, time; import bot.when as w; "
            "assert 'dateparser' not in sys.modules; "
            "w.warm_up(); assert 'dateparser.languages.loader' in sys.modules; "
            "from bot.when import lexicon; assert lexicon._names is not None")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_warm_up_loads_the_names_once() -> None:
    warm_up()
    names = lexicon._names
    assert names is not None
    warm_up()
    assert lexicon._names is names and calendar_names() is names
