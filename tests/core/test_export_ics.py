"""The calendar export as calendar programs read it, checked by a reader written apart from
the bot (recurring-ical-events, on icalendar and dateutil): a permanence's occurrences are
the bot's own across the changes of summer time, its cancelled dates (one in the spring gap)
are gone, its time zone holds for every year ahead, and a calendar with nothing in it yet is
still a valid calendar."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from icalendar import Calendar

from bot.config import Config
from bot.export import export_ics
from bot.ical_zone import vtimezone
from bot.services import permanences as permanence_svc
from tests.core.conftest import Chat

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc


@pytest.fixture
def night(tmp_path: Path):
    """A permanence every Sunday 02:30–03:30 from March 2027, with dates cancelled in March
    (one of them the day summer time begins, when 02:30 is skipped) and around October's
    change (when 02:30 happens twice)."""
    chat = Chat(tmp_path / "ics.db", Config())
    chat.now = datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert "ajoutée" in chat.say("!permanence ajouter tous les dimanches 2h30-3h30 ; Nuit des communs ; Tiers-lieu")
    for day in ("14/3", "28/3", "31/10", "7/11"):
        assert "annulée" in chat.say(f"!permanence annuler 1 ; {day}"), day
    yield chat
    chat.close()


def bot_occurrences(chat: Chat, start: datetime, end: datetime) -> list[datetime]:
    perm = chat.store.permanence(1)
    return [o.astimezone(UTC) for o in permanence_svc.occurrences(perm, start, before=end)]


def expanded(ics: bytes, start: datetime, end: datetime) -> list[datetime]:
    calendar = Calendar.from_ical(ics)
    found = recurring_ical_events.of(calendar).between(start, end)
    return sorted(e["DTSTART"].dt.astimezone(UTC) for e in found if str(e["SUMMARY"]) == "Nuit des communs")


def read_by_its_vtimezone(ics: bytes) -> bytes:
    """The file as a program that does not know the zone by name reads it: from its VTIMEZONE."""
    return ics.replace(b"Europe/Paris", b"Chambre/Lille")


def test_a_permanence_expands_to_the_bots_own_dates_across_both_changes(night):
    start, end = datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 12, 1, tzinfo=UTC)
    ours = bot_occurrences(night, start, end)
    assert datetime(2027, 3, 28, 1, 30, tzinfo=UTC) not in ours and datetime(2027, 4, 4, 0, 30, tzinfo=UTC) in ours
    ics = export_ics(night.store, night.config, night.now)
    assert expanded(ics, start, end) == ours
    assert expanded(read_by_its_vtimezone(ics), start, end) == ours


def test_each_cancelled_date_is_written_as_the_rule_writes_that_occurrence(night):
    """RFC 5545 matches an EXDATE against the instances the RRULE makes, as local times with
    the zone: the one in the spring gap is 02:30 (the rule's time), not 03:30."""
    event = Calendar.from_ical(export_ics(night.store, night.config, night.now)).walk("VEVENT")[0]
    start = event["DTSTART"].dt
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start.replace(tzinfo=None))
    instances = set(rule.between(datetime(2027, 3, 1), datetime(2027, 12, 1)))
    exdates = [d.dt for line in event["EXDATE"] for d in line.dts]
    assert [d.tzinfo.key for d in exdates] == ["Europe/Paris"] * 4
    assert sorted(d.replace(tzinfo=None) for d in exdates) == [
        datetime(2027, 3, 14, 2, 30), datetime(2027, 3, 28, 2, 30), datetime(2027, 10, 31, 2, 30), datetime(2027, 11, 7, 2, 30)]
    assert all(d.replace(tzinfo=None) in instances for d in exdates)
    # when the permanence last changed (its cancellations), by the bot's clock, not the machine's
    assert event["DTSTAMP"].dt == night.now


def test_the_time_zone_holds_after_2038(tmp_path: Path):
    chat = Chat(tmp_path / "later.db", Config())
    try:
        chat.now = datetime(2036, 1, 5, 9, tzinfo=UTC)
        chat.say("!permanence ajouter tous les dimanches 18h-20h ; Nuit des communs")
        ics = export_ics(chat.store, chat.config, chat.now)
        assert b"2038" not in ics  # no zone that says it ends then
        start, end = datetime(2039, 1, 1, tzinfo=UTC), datetime(2041, 1, 1, tzinfo=UTC)
        ours = bot_occurrences(chat, start, end)
        assert {o.astimezone(PARIS).hour for o in ours} == {18} and len(ours) == 105  # Sundays of 2039 and 2040
        assert expanded(read_by_its_vtimezone(ics), start, end) == ours
    finally:
        chat.close()


# Zones with summer time in each hemisphere, on odd days and half hours, and none any more.
# (dateutil, which reads a VTIMEZONE here, gets Morocco's negative summer time wrong whatever
# the file says; icalendar's own transitions agree with the zone database there.)
@pytest.mark.parametrize("name", ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Jerusalem",
                                  "Pacific/Chatham", "America/Sao_Paulo"])
def test_the_embedded_zone_gives_the_zone_databases_offsets_for_decades(name):
    vt = vtimezone(name, date(2026, 6, 1))
    vt["TZID"] = "Chambre/" + name  # read from the component, not looked up by name
    calendar = Calendar()
    calendar.add_component(vt)
    read = Calendar.from_ical(calendar.to_ical()).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    zone = ZoneInfo(name)
    at, wrong = datetime(2025, 1, 1, tzinfo=UTC), []
    while at < datetime(2075, 1, 1, tzinfo=UTC):  # every hour of the day, minute and weekday in turn
        if at.astimezone(read).utcoffset() != at.astimezone(zone).utcoffset():
            wrong.append(at)
        at += timedelta(days=2, hours=1, minutes=7)
    assert wrong == []


def test_a_calendar_with_no_event_is_still_a_valid_calendar(tmp_path: Path):
    chat = Chat(tmp_path / "empty.db", Config())
    try:
        ics = export_ics(chat.store, chat.config, chat.now)
    finally:
        chat.close()
    calendar = Calendar.from_ical(ics)
    assert calendar.subcomponents, "RFC 5545: a calendar holds at least one component"
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert str(calendar.walk("VTIMEZONE")[0]["TZID"]) == "Europe/Paris"
    assert recurring_ical_events.of(calendar).between(datetime(2026, 1, 1), datetime(2027, 1, 1)) == []
