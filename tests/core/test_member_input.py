"""What members type, read as they mean it: a brick name or a link already there in another
spelling is refused, naming what is there; a record number reads the same however it is
written; a text of nothing visible is a missing one; a meeting moved to its own date has
not moved; and no member can make a reply grow without bound."""
from __future__ import annotations

import pytest

from bot.config import Config
from tests.core.conftest import Chat, dumps

ZERO_WIDTH = ["\u200b", "\u200b\u200c\u200d", "\u2060\ufeff", "\u3164", "\u00a0\u200b", "\u2800", "\u034f\u200b"]


# ---- a meeting moved to the date it has -------------------------------------------------------

def test_a_meeting_moved_to_its_own_date_has_not_moved_and_stays_confirmed(chat):
    chat.say("!réunion proposer vendredi 19h-21h ; Atelier")
    chat.say("!réunion confirmer 1")
    before = dumps(chat.export())
    for same in ("vendredi 19h-21h", "4/12 de 19h à 21h", "le 4 décembre 2026 19h-21h"):
        reply = chat.say(f"!réunion déplacer 1 ; {same}")
        assert reply == "Réunion n°1 : déjà le vendredi 4 décembre 2026, 19:00–21:00 ; rien n'a changé (statut : confirmée).", reply
        assert dumps(chat.export()) == before
    assert chat.say("!meeting move 1 ; friday 7pm-9pm", lang="en").startswith("Meeting #1: already on Friday 4 December 2026")
    # another end is another date: it moves, and goes back to proposed
    assert "déplacée" in chat.say("!réunion déplacer 1 ; vendredi 19h-22h")
    assert chat.export()["meetings"][0]["status"] == "proposed"


def test_a_day_meeting_moved_to_that_day_at_an_hour_moves(chat):
    chat.say("!réunion proposer le 4 décembre ; Journée")
    assert "déjà" in chat.say("!réunion déplacer 1 ; le 4 décembre")
    assert "déplacée" in chat.say("!réunion déplacer 1 ; le 4 décembre à 10h")
