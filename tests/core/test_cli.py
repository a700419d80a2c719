"""The command line around the core: `when`, `export --format ics`, `check-config`."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from tests.core.conftest import run_cli

NOW = "2026-12-01T10:00:00+01:00"
PARIS = ZoneInfo("Europe/Paris")

# Meetings 1 to 7 are the group's page's, still to organise: this session's are 8 to 11.
SESSION = """\
!réunion proposer vendredi 19h ; Atelier briques ; MESHS
!réunion confirmer 8
!réunion proposer ? ; Rencontre OVH
!réunion proposer samedi 5 décembre ; Journée portes ouvertes
!réunion proposer jeudi 10 décembre 18h-20h ; Annulée
!réunion annuler 11
!permanence ajouter tous les mardis 17h-19h ; Permanence des communs ; Tiers-lieu
!permanence annuler 1 ; 15/12
!permanence annuler 1 ; 29/12
!permanence ajouter un jeudi sur deux à 18h ; Permanence arrêtée
!permanence supprimer 2
"""


@pytest.fixture(scope="module")
def calendar(tmp_path_factory) -> Calendar:
    db = tmp_path_factory.mktemp("ics") / "chambre.db"
    run_cli("console", "--now", NOW, "--db", str(db), "--user", "alice", stdin=SESSION)
    out = run_cli("export", "--db", str(db), "--format", "ics").stdout
    return Calendar.from_ical(out)


def test_when_prints_json_with_options_first():
    proc = run_cli("when", "--now", NOW, "vendredi 19h")
    assert json.loads(proc.stdout) == {"start": "2026-12-04T19:00:00+01:00", "end": None}
    proc = run_cli("when", "--now", NOW, "--recurring", "tous les mardis 17h-19h")
    data = json.loads(proc.stdout)
    assert data["rrule"] == "FREQ=WEEKLY;BYDAY=TU" and data["duration_minutes"] == 120
    assert data["occurrences"][:2] == ["2026-12-01T17:00:00+01:00", "2026-12-08T17:00:00+01:00"]
    proc = run_cli("when", "--now", NOW, "n'importe quand", check=False)
    assert proc.returncode == 1 and "error" in json.loads(proc.stdout)


def test_ics_meetings(calendar):
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    m1 = events["meeting-8@chambre-bot"]
    assert str(m1["SUMMARY"]) == "Atelier briques" and str(m1["LOCATION"]) == "MESHS"
    assert m1.decoded("DTSTART") == datetime(2026, 12, 4, 19, 0, tzinfo=PARIS)
    assert str(m1["STATUS"]) == "CONFIRMED"
    # still to organise, the page's and this one: no date to put in a calendar
    assert not {f"meeting-{n}@chambre-bot" for n in (*range(1, 8), 9)} & set(events)
    day = events["meeting-10@chambre-bot"]
    assert day.decoded("DTSTART") == datetime(2026, 12, 5).date() and str(day["STATUS"]) == "TENTATIVE"
    assert str(events["meeting-11@chambre-bot"]["STATUS"]) == "CANCELLED"


def test_ics_permanence_repeats_with_its_cancelled_dates_left_out(calendar):
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert "permanence-2@chambre-bot" not in events  # the ended series
    perm = events["permanence-1@chambre-bot"]
    start = perm.decoded("DTSTART")
    assert start == datetime(2026, 12, 1, 17, 0, tzinfo=PARIS)
    assert perm.decoded("DTEND") - start == timedelta(hours=2)
    exdates = perm.get("EXDATE")
    exdates = exdates if isinstance(exdates, list) else [exdates]
    cancelled = sorted(d.dt for ex in exdates for d in ex.dts)
    assert cancelled == [datetime(2026, 12, 15, 17, 0, tzinfo=PARIS), datetime(2026, 12, 29, 17, 0, tzinfo=PARIS)]
    rule = rrulestr(perm["RRULE"].to_ical().decode(), dtstart=start)
    occurrences = [d for d in rule[:6] if d not in cancelled]
    assert [d.day for d in occurrences] == [1, 8, 22, 5]
    # 17:00 stays 17:00 in local time across the change of summer time
    summer = rule.after(datetime(2027, 4, 1, tzinfo=PARIS))
    assert (summer.hour, summer.utcoffset()) == (17, timedelta(hours=2))


BAD = """\
[chambre]
timezone = "Europe/Lile"
language = "de"
prefix = "go"
organisers = "alice"
colour = "blue"

[rhythm]
rule = "quand on veut"
agenda_before = "bientôt"

[reminders]
organisers_before = 24

[matrix]
homeserver = "matrix.example.org"
user_id = "chambre"
organiser_power_level = 500
trust = "some"

[extras]
x = 1
"""


def test_check_config_names_every_wrong_key_with_what_was_expected(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD, encoding="utf-8")
    proc = run_cli("check-config", "-c", str(bad), check=False)
    assert proc.returncode == 1
    lines = [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("- [")]
    expected = {
        "[chambre] timezone": "Europe/Paris", "[chambre] language": '"fr" or "en"', "[chambre] prefix": "punctuation",
        "[chambre] organisers": "a list of texts", "[chambre] colour": "unknown key", "[rhythm] rule": "recurrence",
        "[rhythm] agenda_before": "duration", "[reminders] organisers_before": "duration",
        "[matrix] homeserver": "https://", "[matrix] user_id": "@chambre:example.org",
        "[matrix] organiser_power_level": "0 to 100", "[extras]": "unknown section",
        "[matrix] password or access_token": "missing", "[matrix] trust": '"all"',
        "[matrix] store_key": "missing (or set CHAMBRE_MATRIX_STORE_KEY)",
    }
    for key, what in expected.items():
        found = [line for line in lines if line.startswith("- " + key)]
        assert len(found) == 1, (key, lines)  # named once, not twice
        assert what in found[0], found[0]
    assert len(lines) == len(expected)


def test_check_config_accepts_the_example(tmp_path: Path):
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    proc = run_cli("check-config", "-c", str(example))
    assert "OK" in proc.stdout


def test_check_config_on_a_missing_file(tmp_path: Path):
    proc = run_cli("check-config", "-c", str(tmp_path / "nothere.toml"), check=False)
    assert proc.returncode == 1 and "no such file" in proc.stdout
