"""Refusals that point the right way: each says what is wrong with what was typed and how to
write it, in the language of the request. NOW is Wednesday 24 March 2027, 10:00 in Paris."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from bot.when import WhenError, read_event, read_recurrence, run_when_cli
from tests.core.conftest import Chat

NOW = dt.datetime(2027, 3, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def refusal(text: str, lang: str | None = None, read=read_event) -> WhenError:
    with pytest.raises(WhenError) as caught:
        read(text, NOW, "Europe/Paris", lang)
    return caught.value


# ---- a time that does not go with the part of the day --------------------------------------

@pytest.mark.parametrize("text,fr,en", [
    ("jeudi matin 15h", "15h n'est pas le matin : enlevez « matin » ou changez l'heure",
     '3pm is not in the morning: remove "matin" or change the time'),
    ("demain matin à 20h", "20h n'est pas le matin : vouliez-vous 8h ?",
     "8pm is not in the morning: did you mean 8am?"),
    ("jeudi soir 8h", "8h n'est pas le soir : vouliez-vous 20h ?",
     "8am is not in the evening: did you mean 8pm?"),
    ("thursday evening at 8am", "8h n'est pas le soir : vouliez-vous 20h ?",
     "8am is not in the evening: did you mean 8pm?"),
    ("jeudi après-midi 2h30", "2h30 n'est pas l'après-midi : vouliez-vous 14h30 ?",
     "2:30am is not in the afternoon: did you mean 2:30pm?"),
    ("vendredi après-midi 9h", "9h n'est pas l'après-midi : enlevez « après-midi » ou changez l'heure",
     '9am is not in the afternoon: remove "après-midi" or change the time'),
])
def test_a_time_outside_its_part_of_the_day_says_which(text: str, fr: str, en: str) -> None:
    err = refusal(text)
    assert fr in err.explain("fr") and en in err.explain("en")
    assert "8h du soir" not in err.explain("fr")


def test_a_time_inside_its_part_of_the_day_is_read() -> None:
    assert read_event("jeudi matin 9h", NOW).start.hour == 9
    assert read_event("jeudi après-midi 15h", NOW).start.hour == 15


# ---- a single date where a recurrence is needed ---------------------------------------------

@pytest.mark.parametrize("text,lang,says", [
    ("mardi 17h", "fr", "« mardi 17h » est une seule date : il faut une récurrence, par exemple "
                        "« tous les mardis 17h »"),
    ("le mardi de 17h à 19h", "fr", "par exemple « tous les mardis de 17h à 19h »"),
    ("jeudi à 18h", "fr", "par exemple « tous les jeudis à 18h »"),
    ("le 12 avril à 18h", "fr", "« le 12 avril à 18h » est une seule date : il faut une "
                                "récurrence, par exemple « tous les jeudis à 18h »"),
    ("demain 18h", "fr", "il faut une récurrence"),
    ("tuesday 5pm", "en", '"tuesday 5pm" is a single date: a recurrence is needed, for example '
                          '"every Tuesday 5pm"'),
])
def test_a_single_date_is_refused_as_a_recurrence_with_an_example(text: str, lang: str,
                                                                   says: str) -> None:
    err = refusal(text, lang, read_recurrence)
    assert says in str(err)


def test_a_permanence_needs_a_recurrence(tmp_path: Path) -> None:
    chat = Chat(tmp_path / "chambre.db", Config())
    try:
        reply = chat.say("!permanence ajouter mardi 17h ; Permanence")
        assert "« mardi 17h » est une seule date : il faut une récurrence" in reply, reply
        assert "« tous les mardis 17h »" in reply and "Je ne comprends pas" not in reply
        reply = chat.say("!permanence add tuesday 5pm ; Drop-in", lang="en")
        assert 'a recurrence is needed, for example "every Tuesday 5pm"' in reply, reply
        assert chat.export()["permanences"] == []
    finally:
        chat.close()


# ---- a bare number, and the language of an English request ----------------------------------

def test_tonight_8_in_english_answers_in_english(capsys) -> None:
    code = run_when_cli(["--now", NOW.isoformat(), "tonight", "8"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 1
    assert answer["error"].startswith('"8" alone is not a time: write 8pm.'), answer
    assert "Examples that work" in answer["error"]


@pytest.mark.parametrize("text,fr,en", [
    ("ce soir 8", "« 8 » seul n'est pas une heure : écrivez 20h.", '"8" alone is not a time: write 8pm.'),
    ("demain 9", "« 9 » seul n'est pas une heure : écrivez 9h.",
     '"9" alone is not a time: write 9am or 9pm.'),
    ("jeudi à 18", "« 18 » seul n'est pas une heure : écrivez 18h.",
     '"18" alone is not a time: write 6pm.'),
])
def test_a_bare_number_asks_for_the_time_in_full(text: str, fr: str, en: str) -> None:
    err = refusal(text)
    assert fr in err.explain("fr") and en in err.explain("en")


@pytest.mark.parametrize("text", ["tonight at 8pm", "this evening at 8pm", "tomorrow night at 9pm",
                                  "thursday at noon", "this morning at 11am", "in half an hour",
                                  "every other thursday at 6pm", "tonight 8"])
def test_english_requests_are_answered_in_english(text: str) -> None:
    for read in (read_event, read_recurrence):
        try:
            read(text, NOW, "Europe/Paris")
        except WhenError as err:
            assert err.lang == "en", (text, str(err))
