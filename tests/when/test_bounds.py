"""The bounds of TIME.md: no date before 1900 or more than ten years ahead, and no date,
length or count typed by a member that raises anything but a refusal (`dans 9999999999
jours`, `31 décembre 9999 23h-minuit`, `pendant 99999 heures`). The rule table first, then
hypothesis over the time layer's public functions. NOW is Wednesday 24 March 2027, 10:00 in
Paris: the last day a member may name is Tuesday 24 March 2037."""
from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.when import (Recurrence, WhenError, describe_recurrence, format_event, looks_recurring,
                      read_day, read_duration, read_event, read_recurrence, run_when_cli)

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2027, 3, 24, 10, 0, tzinfo=PARIS)
HUGE = "9" * 5000  # more digits than Python converts to an int by default


def at(y, m, d, hh=None, mm=0) -> str:
    if hh is None:
        return dt.date(y, m, d).isoformat()
    return dt.datetime(y, m, d, hh, mm, tzinfo=PARIS).isoformat()


def B(text, start, now=NOW):
    return pytest.param(text, start, now, id=f"{now:%Y-%m-%d}: {text[:60]}")


EVENTS = [
    # years before 1900: never a year of this century in disguise
    B("01/01/0099 18h", "error"), B("0099-01-01 18h", "error"), B("le 1er janvier 1899 à 10h", "error"),
    B("31/12/1899", "error"), B("0000-01-01", "error"), B("1/1/0001 9h", "error"),
    # more than ten years ahead
    B("le 1er janvier 9999", "error"), B("le 1er janvier 2099 à 10h", "error"),
    B("01/01/99 18h", "error"),                     # two digits are this century: 2099
    B("january 1, 9999 at 10am", "error"), B("31 décembre 9999 23h-minuit", "error"),
    B("le 25 mars 2037 à 9h", "error"), B("march 25, 2037 at 9am", "error"),
    B("le 24 mars 2037 à 9h", at(2037, 3, 24, 9)),  # the last day still counts
    B("24/03/2037", at(2037, 3, 24)),
    B("12/06/27 10h", at(2027, 6, 12, 10)),
    B("le 24 mars 2037 de 23h à minuit", "error"),  # its end is the day after
    # lengths typed by a member
    B("dans 9999999999 jours", "error"), B("dans 9999 jours", "error"), B("dans 3654 jours", "error"),
    B("dans 3653 jours", at(2037, 3, 24)), B("dans 120 mois", at(2037, 3, 24)),
    B("dans 121 mois", "error"), B("in 99999 weeks", "error"), B("dans 99999999 heures", "error"),
    B(f"dans {HUGE} minutes", "error"), B("dans 10000000000000000000000 minutes", "error"),
    B("jeudi 18h pendant 99999 heures", "error"), B("tomorrow at 9am for 99999 hours", "error"),
    B(f"jeudi 18h pendant {HUGE} minutes", "error"), B("pendant 99999 heures", "error"),
    B("jeudi 18h pendant 3000 jours", at(2027, 3, 25, 18)),
    B("le 20 mars 2037 à 9h pendant 5 jours", "error"),  # it would end after the last day
    B(f"le {HUGE} mars à 9h", "error"), B(f"{HUGE}h", "error"), B(f"jeudi {HUGE}", "error"),
    # around New Year's Eve: the last day is ten years on, to the day
    B("le 31 décembre 2036 à 20h", at(2036, 12, 31, 20), dt.datetime(2026, 12, 31, 23, tzinfo=PARIS)),
    B("le 1er janvier 2037 à 0h30", "error", dt.datetime(2026, 12, 31, 23, tzinfo=PARIS)),
    B("le 1er janvier 2037 à 0h30", at(2037, 1, 1, 0, 30), dt.datetime(2027, 1, 1, 0, 10, tzinfo=PARIS)),
    B("1/1/37 9h", "error", dt.datetime(2026, 12, 31, 23, tzinfo=PARIS)),
    # 29 February: ten years on is 28 February
    B("le 28 février 2038", at(2038, 2, 28), dt.datetime(2028, 2, 29, 10, tzinfo=PARIS)),
    B("le 1er mars 2038", "error", dt.datetime(2028, 2, 29, 10, tzinfo=PARIS)),
]


@pytest.mark.parametrize("text,start,now", EVENTS)
def test_event_bounds(text: str, start: str, now: dt.datetime) -> None:
    if start == "error":
        with pytest.raises(WhenError):
            read_event(text, now, "Europe/Paris")
        return
    assert read_event(text, now, "Europe/Paris").to_json()["start"] == start


def test_the_refusals_say_why() -> None:
    def message(text: str, lang: str, read=read_event) -> str:
        with pytest.raises(WhenError) as caught:
            read(text, NOW, "Europe/Paris")
        return caught.value.explain(lang)

    assert "L'année 99 est avant 1900" in message("01/01/0099 18h", "fr")
    assert "The year 99 is before 1900" in message("01/01/0099 18h", "en")
    assert "plus de dix ans" in message("le 1er janvier 9999", "fr")
    assert "no date after Tuesday 24 March 2037" in message("le 1er janvier 9999", "en")
    assert "« 9999999999 jours » : plus de dix ans, c'est trop long" in \
        message("dans 9999999999 jours", "fr")
    long = message(f"dans {HUGE} jours", "fr")
    assert len(long) < 300 and "…" in long  # a pasted page is not quoted back whole
    assert "de 1 à 52 semaines" in message("toutes les 100 semaines le lundi à 9h", "fr",
                                           read_recurrence)
    assert "from 1 to 52 weeks" in message("every 100 weeks on monday at 9am", "en", read_recurrence)


def test_day_bounds() -> None:
    assert read_day("24/03/2037", NOW, "Europe/Paris") == dt.date(2037, 3, 24)
    for text in ("25/03/2037", "1/1/9999", "31/12/1899", "1/1/0099", f"{HUGE}/12"):
        with pytest.raises(WhenError):
            read_day(text, NOW, "Europe/Paris")


MONDAYS_19 = [at(2027, 3, 29, 19), at(2027, 4, 5, 19), at(2027, 4, 12, 19), at(2027, 4, 19, 19)]


def R(text, occurrences):
    return pytest.param(text, occurrences, id=text[:60])


RECURRENCES = [
    R("tous les lundis à 19h à partir du 1er janvier 1899", "error"),
    R("tous les lundis à 19h à partir du 01/01/0099", "error"),
    R("tous les lundis à 19h à partir du 1er janvier 1900", MONDAYS_19),  # sets the phase only
    R("tous les lundis à 19h jusqu'au 1er janvier 9999", "error"),
    R("tous les lundis à 19h jusqu'au 22 mars 2037", MONDAYS_19),
    R("every monday at 7pm until january 1, 9999", "error"),
    R("tous les lundis à 19h à partir du 1er janvier 2040", "error"),
    R("le 5 de chaque mois à 9h à partir du 24 mars 2037", "error"),  # its first: 5 April 2037
    R("toutes les 100 semaines le lundi à 19h", "error"),
    R("every 100 weeks on monday at 7pm", "error"),
    R("toutes les 52 semaines le lundi à 19h",
      [at(2027, 3, 29, 19), at(2028, 3, 27, 19), at(2029, 3, 26, 19), at(2030, 3, 25, 19)]),
    R("un lundi sur 53 à 19h", "error"), R("un mois sur 13 le 5 à 9h", "error"),
    R("tous les 400 jours à 8h à partir du 1er avril", "error"),
    R("tous les 0 jours à 8h", "error"), R("toutes les 0 semaines le lundi à 19h", "error"),
    R("tous les 9999999999 mois le 5 à 9h", "error"),
    R(f"un lundi sur {HUGE} à 19h", "error"),
    R("tous les 365 jours à 8h à partir du 1er avril",
      [at(2027, 4, 1, 8), at(2028, 3, 31, 8), at(2029, 3, 31, 8), at(2030, 3, 31, 8)]),
    R("tous les lundis à 19h pendant 99999 heures", "error"),
    R(f"tous les lundis à 19h pendant {HUGE} minutes", "error"),
]


@pytest.mark.parametrize("text,occurrences", RECURRENCES)
def test_recurrence_bounds(text: str, occurrences) -> None:
    if occurrences == "error":
        with pytest.raises(WhenError):
            read_recurrence(text, NOW, "Europe/Paris")
        return
    rec = read_recurrence(text, NOW, "Europe/Paris")
    assert [o.isoformat() for o in rec.occurrences(NOW, count=4)] == occurrences


def test_duration_bounds() -> None:
    assert read_duration("3660 jours") == dt.timedelta(days=3660)
    for text in ("3661 jours", "9999999999 jours", "99999 heures", f"{HUGE} minutes", "121 mois"):
        with pytest.raises(WhenError):
            read_duration(text)


# ---- hypothesis: whatever is typed, a reading within the bounds or a refusal -------------

WORDS = """
0 1 2 7 8 12 15 23 24 25 28 29 30 31 52 53 60 99 100 365 366 400 1899 1900 1999 2026 2027 2036
2037 2038 2099 9999 0099 0000 99999 3653 3654 9999999999 12345678901234567890
jours jour semaines semaine mois heures heure minutes min h days weeks months hours minutes
dans pendant durée in for à a partir du jusqu' au dès starting until from to le la les de et
tous toutes every each chaque other un une sur deux trois quinze huit premier dernier 1er
first last of the month du mois minuit midi noon midnight pm am demain hier aujourd'hui ce soir
tonight matin morning janvier février mars avril octobre décembre january march december
jeudi lundi mardi vendredi dimanche thursday monday / - : , . 18h 9h30 6pm 23h-minuit
""".split()
ZONES = ["Europe/Paris", "America/New_York", "UTC", "Asia/Kolkata", "Pacific/Auckland"]


def numeric_dates() -> st.SearchStrategy[str]:
    n = st.integers(min_value=0, max_value=10 ** 12)
    y = st.one_of(st.integers(min_value=0, max_value=9999), n)
    return st.one_of(
        st.builds(lambda d, m, yy: f"{d}/{m}/{yy}", n, n, y),
        st.builds(lambda d, m, yy: f"{yy:04d}-{m:02d}-{d:02d}", n, n, y),
        st.builds(lambda d, m, yy: f"le {d} {m} {yy}", st.integers(1, 31),
                  st.sampled_from(["janvier", "février", "mars", "décembre", "june"]), y),
    )


TEXTS = st.one_of(
    st.lists(st.one_of(st.sampled_from(WORDS), numeric_dates()), min_size=1, max_size=9)
    .map(" ".join),
    st.text(max_size=40),
)
NOWS = st.builds(
    lambda t, zone: t.replace(tzinfo=ZoneInfo(zone)),
    st.datetimes(min_value=dt.datetime(1960, 1, 1), max_value=dt.datetime(2080, 12, 31)),
    st.sampled_from(ZONES))


def last_day(today: dt.date) -> dt.date:
    year = today.year + 10
    return dt.date(year, today.month, min(today.day, calendar.monthrange(year, today.month)[1]))


def check_event(text: str, now: dt.datetime, zone: str) -> None:
    local = now.astimezone(ZoneInfo(zone))
    limit = last_day(local.date())
    ev = read_event(text, now, zone)
    if ev.all_day:
        assert local.date() <= ev.start <= limit, (text, ev)
    else:
        assert local.replace(second=0, microsecond=0) <= ev.start, (text, ev)
        assert ev.start.astimezone(ZoneInfo(zone)).date() <= limit, (text, ev)
        if ev.end is not None:
            assert ev.start < ev.end and ev.end.astimezone(ZoneInfo(zone)).date() <= limit, (text, ev)
    assert format_event(ev, "fr") and format_event(ev, "en") and json.dumps(ev.to_json())


def check_recurrence(text: str, now: dt.datetime, zone: str) -> None:
    local = now.astimezone(ZoneInfo(zone))
    limit = last_day(local.date())
    rec = read_recurrence(text, now, zone)
    assert rec.dtstart.year >= 1900 and rec.dtstart.date() <= limit, (text, rec)
    assert rec.until is None or rec.until <= limit, (text, rec)
    assert int(rec._parts.get("INTERVAL", "1")) <= 365, (text, rec)
    assert describe_recurrence(rec, "fr") and describe_recurrence(rec, "en")
    assert json.dumps(rec.to_json())
    for start in rec.occurrences(now, count=4):
        assert start >= now


def check_day(text: str, now: dt.datetime, zone: str) -> None:
    today = now.astimezone(ZoneInfo(zone)).date()
    assert today <= read_day(text, now, zone) <= last_day(today), text


def check_duration(text: str, now: dt.datetime, zone: str) -> None:
    assert dt.timedelta() < read_duration(text) <= dt.timedelta(days=3660), text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, NOWS)
def test_anything_typed_is_read_within_the_bounds_or_refused(text: str, now: dt.datetime) -> None:
    zone = now.tzinfo.key  # type: ignore[union-attr]
    looks_recurring(text)
    for check in (check_event, check_recurrence, check_day, check_duration):
        try:
            check(text, now, zone)
        except WhenError as err:
            assert err.explain("fr") and err.explain("en")


@settings(max_examples=150, deadline=None)
@given(TEXTS, NOWS)
def test_the_command_line_answers_json_whatever_is_typed(text: str, now: dt.datetime) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run_when_cli(["--now", now.isoformat(), "--", text])
    answer = json.loads(out.getvalue())
    assert (code, "error" in answer) in ((0, False), (1, True))


# ---- a rule begun long ago is expanded from near the reference, with the same dates -------

RULES = st.one_of(
    st.builds(lambda n: f"FREQ=DAILY;INTERVAL={n}", st.integers(1, 400)),
    st.builds(lambda n, days: f"FREQ=WEEKLY;INTERVAL={n};BYDAY={','.join(days)}",
              st.integers(1, 52),
              st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
                       min_size=1, max_size=3, unique=True)),
    st.builds(lambda n, o, d: f"FREQ=MONTHLY;INTERVAL={n};BYDAY={o}{d}", st.integers(1, 12),
              st.sampled_from([1, 2, 3, 4, -1]), st.sampled_from(["MO", "TH", "SU"])),
    st.builds(lambda n, d: f"FREQ=MONTHLY;INTERVAL={n};BYMONTHDAY={d}", st.integers(1, 12),
              st.integers(1, 28)),
)


@settings(max_examples=150, deadline=None)
@given(RULES, st.datetimes(min_value=dt.datetime(2012, 1, 1), max_value=dt.datetime(2027, 1, 1)),
       st.integers(min_value=0, max_value=20 * 365), st.sampled_from(ZONES))
def test_expanding_from_near_the_reference_gives_the_same_dates(rule: str, start: dt.datetime,
                                                                days_later: int, zone: str) -> None:
    tz = ZoneInfo(zone)
    start = start.replace(second=0, microsecond=0)
    rec = Recurrence(rule, start.replace(tzinfo=tz), None, zone)
    after = (start + dt.timedelta(days=days_later, hours=5)).replace(tzinfo=tz)
    # the plain expansion: from the first occurrence, one by one
    plain = []
    for naive in rrulestr(rule, dtstart=rec.dtstart.replace(tzinfo=None)):
        aware = naive.replace(tzinfo=tz).astimezone(dt.timezone.utc).astimezone(tz)
        if aware >= after:
            plain.append(aware)
            if len(plain) == 5:
                break
    assert rec.occurrences(after, count=5) == plain
