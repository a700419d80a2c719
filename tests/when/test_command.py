"""`!quand` / `!when` in a room: how the bot reads a date or a recurrence, in the room's
language, without storing anything. It decides "is this a recurrence" with the time layer's
one test (bot.when.looks_recurring), as `chambre-bot when` does."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config import Config
from tests.core.conftest import Chat


@pytest.fixture
def chat(tmp_path: Path):
    c = Chat(tmp_path / "chambre.db", Config())  # now: Tuesday 1 December 2026, 10:00 in Lille
    yield c
    c.close()


def test_a_monthly_rule_without_every_is_read_as_a_recurrence(chat):
    reply = chat.say("!quand le premier lundi du mois à 19h")
    assert reply.startswith("Je comprends : le premier lundi du mois à 19:00"), reply
    assert "lundi 7 décembre 2026, 19:00" in reply and "lundi 4 janvier 2027, 19:00" in reply
    reply = chat.say("!when first monday of the month at 7pm", lang="en")
    assert reply.startswith("I read: the first Monday of the month at 19:00"), reply
    reply = chat.say("!quand un jeudi sur 3 à 18h")
    assert reply.startswith("Je comprends : un jeudi sur trois à 18:00"), reply


def test_the_dates_shown_are_the_next_ones_even_from_a_past_first_day(chat):
    reply = chat.say("!quand un jeudi sur deux à 18h à partir du 5 novembre")
    # 5 November, 19 November: past; they set the weeks
    assert "à partir du jeudi 5 novembre 2026" in reply, reply
    dates = reply.split("Prochaines dates :", 1)[1]
    assert "novembre" not in dates
    assert dates.index("jeudi 3 décembre 2026, 18:00") < dates.index("jeudi 17 décembre 2026, 18:00") \
        < dates.index("jeudi 31 décembre 2026, 18:00") < dates.index("jeudi 14 janvier 2027, 18:00")


def test_an_event_and_a_refusal(chat):
    assert chat.say("!quand vendredi 19h-21h") == "Je comprends : vendredi 4 décembre 2026, 19:00–21:00"
    reply = chat.say("!quand 30/11 à 18h")
    assert "est passé" in reply and "écrivez l'année : « 30 novembre 2027 »" in reply
    reply = chat.say("!when 30/11 at 6pm", lang="en")
    assert "is past; if you meant 30 November 2027, write the year" in reply
    # nothing recorded: only the group's page's meetings to organise, there from the start
    assert {m["source"] for m in chat.export()["meetings"]} == {"seed"} and chat.export()["permanences"] == []


# ---- the 90-day rule through the commands that read a year-less date ------------------------

def test_an_occurrence_of_the_day_before_is_not_next_years(chat):
    chat.say("!permanence ajouter tous les lundis 17h-19h ; Permanence")
    reply = chat.say("!permanence annuler 1 ; 30/11")  # typed on Tuesday 1 December 2026
    assert reply.startswith("Le lundi 30 novembre 2026 est passé ; si vous pensiez au 30 novembre 2027, "
                            "écrivez l'année"), reply
    assert chat.export()["permanences"][0]["cancelled"] == []


def test_a_rhythm_typed_a_few_weeks_late_keeps_its_weeks(chat):
    chat.now = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)
    reply = chat.say("!rythme régler un jeudi sur deux à 18h à partir du 3 décembre ; MESHS")
    assert "à partir du jeudi 3 décembre 2026" in reply, reply
    # 3, 17, 31 December, then 14 January: not 53 weeks on, not the other Thursdays
    assert "Prochaines séances : jeudi 14 janvier 2027, 18:00; jeudi 28 janvier 2027, 18:00" in reply


def test_a_series_typed_after_its_first_day_starts_this_year(chat):
    chat.now = datetime(2027, 1, 10, 9, tzinfo=timezone.utc)
    reply = chat.say("!permanence ajouter tous les mardis 17h-19h à partir du 5 janvier ; P")
    assert "à partir du mardi 5 janvier 2027" in reply, reply
    assert "mardi 12 janvier 2027, 17:00–19:00" in reply and "2028" not in reply
