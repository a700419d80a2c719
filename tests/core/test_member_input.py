"""What members type, read as they mean it: a brick name or a link already there in another
spelling is refused, naming what is there; a record number reads the same however it is
written; a text of nothing visible is a missing one; a meeting moved to its own date has
not moved; and no member can make a reply grow without bound."""
from __future__ import annotations

import pytest

from bot.config import Config
from tests.core.conftest import Chat, dumps

ZERO_WIDTH = ["\u200b", "\u200b\u200c\u200d", "\u2060\ufeff", "\u3164", "\u00a0\u200b", "\u2800", "\u034f\u200b"]


# ---- the same brick name, the same link ---------------------------------------------------

@pytest.mark.parametrize("name", ["Services legaux pour les communs", "SERVICES LÉGAUX POUR LES COMMUNS",
                                  "Services  légaux pour  les communs", "Services légaux pour les communs ",
                                  "services\u200blégaux pour les communs", "Serviceslégaux pour les communs"])
def test_a_brick_name_already_there_in_another_spelling_is_refused(chat, name):
    before = dumps(chat.export())
    reply = chat.say(f"!brique ajouter {name}")
    assert reply == "La brique n°1 s'appelle déjà « Services légaux pour les communs » (aux majuscules, accents et espaces près)."
    assert dumps(chat.export()) == before
    assert chat.say("!brique voir legaux").startswith("1. Services légaux pour les communs")


def test_a_new_brick_name_is_taken_and_found_by_part_of_it(chat):
    assert "ajoutée" in chat.say("!brique ajouter Services légaux pour les associations")
    assert "plusieurs briques" in chat.say("!brique voir legaux")  # two different names share that word
    assert "added: Commons canteen" in chat.say("!brick add Commons canteen", lang="en")
    assert "is already called \"Commons canteen\"" in chat.say("!brick add COMMONS  CANTEEN", lang="en")


@pytest.mark.parametrize("again", ["https://pad.example.org/finances", "HTTPS://PAD.Example.ORG/finances",
                                   "https://pad.example.org:443/finances", "Https://pad.example.org/finances"])
def test_a_link_already_on_the_brick_is_refused(chat, again):
    assert "Lien ajouté" in chat.say("!brique lien 2 ; https://pad.example.org/finances ; le pad")
    before = dumps(chat.export())
    reply = chat.say(f"!brique lien 2 ; {again}")
    assert reply.startswith("Ce lien est déjà sur la brique") and reply.endswith(": https://pad.example.org/finances")
    assert dumps(chat.export()) == before


def test_links_that_differ_where_it_matters_are_two_links(chat):
    chat.say("!brique lien 2 ; https://example.org")
    assert "déjà" in chat.say("!brique lien 2 ; https://example.org/")  # an empty path is "/"
    for other in ("https://example.org/Finances", "http://example.org/", "https://example.org/?a=1",
                  "https://user@example.org/"):
        assert "Lien ajouté" in chat.say(f"!brique lien 2 ; {other}"), other


def test_a_brick_takes_at_most_ten_links(chat):
    for k in range(10):
        assert "Lien ajouté" in chat.say(f"!brique lien 2 ; https://example.org/{k}")
    before = dumps(chat.export())
    assert "déjà 10 liens" in chat.say("!brique lien 2 ; https://example.org/10")
    assert dumps(chat.export()) == before


# ---- a record number, however it is written -------------------------------------------------

@pytest.mark.parametrize("ref", ["1", "n°1", "n° 1", "N°1", "nº1", "no 1", "No. 1", "#1", "# 1"])
def test_a_record_number_reads_the_same_however_it_is_written(chat, ref):
    chat.say("!permanence ajouter tous les jeudis 17h-19h ; Permanence")
    chat.say("!odj ajouter Budget")
    assert chat.say(f"!brique voir {ref}").startswith("1. Services légaux pour les communs")
    # meeting 1: the first of the group's page's meetings to organise
    assert chat.say(f"!réunion voir {ref}").startswith("Réunion n°1 : Rencontre Pocheco")
    assert chat.say(f"!permanence voir {ref}").startswith("Permanence n°1 : Permanence")
    assert chat.say(f"!réunion participe {ref} peut-être").startswith("Noté : peut-être pour la réunion n°1")
    assert chat.say(f"!brique note {ref} ; vu").startswith("Note ajoutée à Services légaux")
    assert chat.say(f"!odj fait {ref}").startswith("Point n°1 traité")


def test_a_brick_named_like_a_number_is_refused_and_n_1_is_always_number_1(tmp_path):
    chat = Chat(tmp_path / "old.db", Config())
    try:
        for name in ("n°1", "n° 12", "#3", "no 4", "12"):
            assert "simple numéro" in chat.say(f"!brique ajouter {name}"), name
        # a brick named so by an earlier version: "n°1" is brick number 1, not that one
        old = chat.store.add_brick("n°1", "brick", "", "alice", chat.now)
        assert chat.say("!brique voir n°1").startswith("1. Services légaux")
        assert chat.say(f"!brique voir {old.id}").startswith(f"{old.id}. n°1")
    finally:
        chat.close()


# ---- text that shows nothing -----------------------------------------------------------------

@pytest.mark.parametrize("blank", ZERO_WIDTH)
@pytest.mark.parametrize("line, missing", [
    ("!brique ajouter {}", "Il manque <nom>"),
    ("!odj ajouter {}", "Il manque <texte>"),
    ("!réunion proposer vendredi 19h ; {} ; MESHS", "Il manque <titre>"),
    ("!brique note 1 ; {}", "Il manque <texte>"),
    ("!permanence ajouter tous les mardis 17h-19h ; {}", "Il manque <titre>"),
])
def test_a_text_of_invisible_characters_is_a_missing_one(chat, blank, line, missing):
    before = dumps(chat.export())
    reply = chat.say(line.format(blank))
    assert missing in reply and "Exemple :" in reply, reply
    assert dumps(chat.export()) == before


def test_visible_text_with_invisible_characters_in_it_is_kept_as_typed(chat):
    assert "Point n°1 ajouté à l'ordre du jour : Bu\u200bdget" in chat.say("!odj ajouter Bu\u200bdget")
    chat.say("!brique ajouter Cantine des communs")
    assert "s'appelle déjà « Cantine des communs »" in chat.say("!brique ajouter Can\u200btine des com\u2060muns")


# ---- a meeting moved to the date it has -------------------------------------------------------

def test_a_meeting_moved_to_its_own_date_has_not_moved_and_stays_confirmed(chat):
    # 8: after the group's page's seven meetings to organise
    chat.say("!réunion proposer vendredi 19h-21h ; Atelier")
    chat.say("!réunion confirmer 8")
    before = dumps(chat.export())
    for same in ("vendredi 19h-21h", "4/12 de 19h à 21h", "le 4 décembre 2026 19h-21h"):
        reply = chat.say(f"!réunion déplacer 8 ; {same}")
        assert reply == "Réunion n°8 : déjà le vendredi 4 décembre 2026, 19:00–21:00 ; rien n'a changé (statut : confirmée).", reply
        assert dumps(chat.export()) == before
    assert chat.say("!meeting move 8 ; friday 7pm-9pm", lang="en").startswith("Meeting #8: already on Friday 4 December 2026")
    # another end is another date: it moves, and goes back to proposed
    assert "déplacée" in chat.say("!réunion déplacer 8 ; vendredi 19h-22h")
    assert chat.export()["meetings"][7]["status"] == "proposed"


def test_a_day_meeting_moved_to_that_day_at_an_hour_moves(chat):
    chat.say("!réunion proposer le 4 décembre ; Journée")
    assert "déjà" in chat.say("!réunion déplacer 8 ; le 4 décembre")
    assert "déplacée" in chat.say("!réunion déplacer 8 ; le 4 décembre à 10h")


# ---- what one member can make a reply grow to ------------------------------------------------

def test_lists_show_a_bounded_number_of_items_and_say_how_many_more(chat):
    for k in range(205):
        chat.say(f"!brique ajouter Brique numéro {k} " + "x" * 60)
    for k in range(55):
        chat.say(f"!odj ajouter Point {k}")
    for k in range(22):
        chat.say(f"!permanence ajouter tous les mardis 17h-19h ; Permanence {k}")
    bricks, total = chat.say("!brique liste"), len(chat.export()["bricks"])
    assert bricks.count("\n• ") == 200 and f"… et {total - 200} autres : filtrez par statut ou catégorie" in bricks
    topics = chat.say("!odj liste")
    assert topics.count("Point ") == 50 and "… et 5 autres" in topics
    perms = chat.say("!permanence liste")
    assert perms.count("— tous les mardis") == 20 and "… et 2 autres" in perms


def test_a_brick_shows_its_last_fifteen_entries_with_long_notes_cut(chat):
    for k in range(20):
        chat.say(f"!brique note 2 ; note {k} " + "n" * 900)
    shown = chat.say("!brique voir 2")
    assert shown.count(" : note ") == 15 and "(6 entrées plus anciennes dans l'export)" in shown
    assert "note 19 " + "n" * 292 + "…" in shown and "n" * 400 not in shown
    assert len(chat.export()["bricks"][1]["history"][-1]["note"]) == 908  # the record keeps it whole
