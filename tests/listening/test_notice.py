"""What listening records from one message, beyond the tables: the JSON forms, places the
group already uses, titles, quotes, commands, zones and languages, hostile text, and the
`chambre-bot notice` command line."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.listening import MeetingProposal, PermanenceProposal, notice
from tests.core.conftest import run_cli

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # a Wednesday
PLACES = ["MESHS", "Tiers-lieu", "Maison de l'économie solidaire"]


def test_a_meeting_in_the_form_of_when() -> None:
    found = notice("On se retrouve jeudi 18h à la MESHS pour avancer sur les briques ?", NOW)
    assert isinstance(found, MeetingProposal)
    assert found.to_json() == {"meeting": {"start": "2026-12-03T18:00:00+01:00", "end": None,
                                           "place": "MESHS", "title": "Avancer sur les briques"}}
    assert found.when == "jeudi 18h"


def test_a_permanence_in_the_form_of_when() -> None:
    found = notice("Je tiendrai une permanence tous les mardis de 17h à 19h au Tiers-lieu", NOW)
    assert isinstance(found, PermanenceProposal)
    assert found.to_json() == {"permanence": {
        "rrule": "FREQ=WEEKLY;BYDAY=TU", "first": "2026-12-08T17:00:00+01:00",
        "duration_minutes": 120, "place": "Tiers-lieu", "title": "Permanence"}}


@pytest.mark.parametrize("text, place", [
    ("Atelier samedi 14h à la meshs", "MESHS"),
    ("Atelier samedi 14h au tiers lieu", "Tiers-lieu"),
    ("Atelier samedi 14h au TIERS-LIEU", "Tiers-lieu"),
    ("Atelier samedi 14h à la maison de l'economie solidaire", "Maison de l'économie solidaire"),
    ("Atelier samedi 14h à la MESHS salle 2", "MESHS salle 2"),
    ("Atelier samedi 14h MESHS", "MESHS"),
    ("Atelier samedi 14h au Café Citoyen", "Café Citoyen"),
    ("Atelier samedi 14h chez Lou", "chez Lou"),
    ("Atelier samedi 14h", None),
])
def test_places_are_spelled_as_the_group_spells_them(text: str, place: str | None) -> None:
    found = notice(text, NOW, places=PLACES)
    assert found is not None and found.place == place
    assert found.start == datetime(2026, 12, 5, 14, 0, tzinfo=PARIS)


def test_the_title_leaves_out_the_date_and_the_place_and_stays_short() -> None:
    found = notice("Réunion du groupe statuts lundi 7 décembre à 19h à la MESHS", NOW)
    assert found.title == "Réunion du groupe statuts"
    long = ("Atelier " + "très " * 40 + "important samedi 14h")
    found = notice(long, NOW)
    assert found is not None and len(found.title) <= 80 and found.title.endswith("…")
    assert "samedi" not in found.title and "14h" not in found.title


def test_a_reply_is_read_without_the_message_it_quotes() -> None:
    # read whole, it would have two dates, and record nothing
    reply = ("> <@alice:example.org> Réunion jeudi 18h ?\n\n"
             "On se retrouve vendredi 18h au Tiers-lieu pour en parler")
    found = notice(reply, NOW)
    assert found is not None and found.start == datetime(2026, 12, 4, 18, 0, tzinfo=PARIS)
    assert found.place == "Tiers-lieu"


def test_commands_are_never_noticed_whatever_the_prefix() -> None:
    assert notice("!réunion proposer jeudi 18h ; Atelier", NOW) is None
    assert notice("  ?réunion proposer jeudi 18h ; Atelier", NOW, prefix="?") is None


def test_the_room_language_names_a_meeting_without_words() -> None:
    assert notice("On se voit jeudi 18h ?", NOW).title == "Réunion"
    assert notice("On se voit jeudi 18h ?", NOW, lang="en").title == "Meeting"
    assert notice("let's meet on friday at 6pm", NOW).title == "Meeting"


def test_the_zone_is_the_rooms() -> None:
    montreal = ZoneInfo("America/Montreal")
    found = notice("Atelier jeudi 18h", datetime(2026, 12, 2, 10, 0, tzinfo=montreal), montreal)
    assert found.start.isoformat() == "2026-12-03T18:00:00-05:00"


def test_a_date_gone_by_the_time_it_is_read_is_not_recorded() -> None:
    late = datetime(2026, 12, 3, 18, 30, tzinfo=PARIS)
    assert notice("Réunion jeudi 3 décembre à 18h", late) is None


@pytest.mark.parametrize("text", [
    "a" * 7990 + " jeudi 18h",
    "1" * 100_000,
    "@" * 7999 + "1",
    "a@" * 3990 + "1",
    "```" * 2600 + "1",
    "> " * 3999 + "1",
    ("Réunion jeudi 18h " * 440)[:7999],
    "\u200bRéunion\u200b jeudi\u200b 18h\u200b ?" * 300,
    "🎉" * 5000 + " 18h",
])
def test_hostile_text_records_nothing(text: str) -> None:
    assert notice(text, NOW) is None


def test_control_characters_stay_out_of_the_title() -> None:
    found = notice("Réunion\x00 du\u202e bureau\x1b[31m jeudi 18h\u200b", NOW)
    assert found is not None and found.title == "Réunion du bureau"


def test_links_and_addresses_are_taken_out_and_the_rest_is_read() -> None:
    text = "x" * 3000 + "@" + "y" * 3000 + " réunion jeudi 18h https://pad.example.org/2026-12-15/19h"
    found = notice(text, NOW)
    assert found is not None and found.start == datetime(2026, 12, 3, 18, 0, tzinfo=PARIS)


def test_a_message_the_length_of_minutes_is_not_read() -> None:
    minutes = "On a parlé des briques et du budget. " * 30 + "Réunion jeudi 18h à la MESHS."
    assert notice(minutes, NOW) is None
    assert notice(minutes[-30:], NOW) is not None


# ---- the command line ----

def test_the_command_prints_the_record_or_nothing() -> None:
    proc = run_cli("notice", "--now", "2026-12-02T10:00:00+01:00", "--place", "MESHS",
                   "--place", "Tiers-lieu", "Atelier", "samedi", "14h", "au", "tiers", "lieu")
    assert json.loads(proc.stdout) == {"meeting": {"start": "2026-12-05T14:00:00+01:00",
                                                   "end": None, "place": "Tiers-lieu",
                                                   "title": "Atelier"}}
    proc = run_cli("notice", "--now", "2026-12-02T10:00:00+01:00", "J'ai un rdv chez le dentiste jeudi 18h")
    assert json.loads(proc.stdout) == {}
    assert "notice" in run_cli("--help").stdout


def test_the_command_refuses_a_bad_now(capsys) -> None:
    assert main(["notice", "--now", "hier soir", "Atelier jeudi 18h"]) == 2
    assert "error" in json.loads(capsys.readouterr().out)


def test_the_command_takes_its_zone_from_the_environment(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CHAMBRE_TIMEZONE", "America/Montreal")
    assert main(["notice", "--now", "2026-12-02T10:00", "Atelier jeudi 18h"]) == 0
    assert json.loads(capsys.readouterr().out)["meeting"]["start"] == "2026-12-03T18:00:00-05:00"


def test_the_command_reads_a_text_that_starts_with_a_dash(capsys) -> None:
    assert main(["notice", "--now", "2026-12-02T10:00", "--", "- Atelier jeudi 18h"]) == 0
    assert json.loads(capsys.readouterr().out)["meeting"]["title"] == "Atelier"
