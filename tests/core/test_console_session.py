"""A whole session piped into the installed `chambre-bot console`, then `chambre-bot export`:
the export holds exactly what the session made (plus the seeded bricks and meetings to
organise, 1 to 7), with the right dates and histories; refused and wrong commands change
nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.conftest import console_replies, export

NOW = "2026-12-01T10:00:00+01:00"  # a Tuesday

ALICE = """\
!aide
!réunion proposer vendredi 19h ; Atelier briques ; MESHS
!REUNION Proposer ? ; Rencontre OVH
!meeting propose samedi 5 décembre 14h ; Bricks review
!réunion confirmer 8
!Réunion Participe 8
!réunion participe 10 peut-être
!réunion déplacer 9 ; jeudi 10 décembre 18h-20h
!réunion confirmer 9
!réunion lieu 9 ; Maison des associations
!réunion annuler 10 ; salle indisponible
!permanence ajouter tous les mardis 17h-19h ; Permanence des communs ; Tiers-lieu
!permanence tenir 1 ; 8/12
!permanence annuler 1 ; 15/12
!brique statut services financiers ; décrite ; on a un pad
!BRIQUE STATUT 2 ; Recette
!brique lien 2 ; https://pad.example.org/finances ; le pad
!brique note 2 ; rencontre avec HelloAsso
!brique référent 2 ; Camille
!brick add Commons canteen ; A shared canteen
!brique décrire canteen ; Une cantine partagée, le midi
!odj ajouter Trouver une salle pour janvier
!topic add Budget 2027
!odj fait 1
!réunion liste
!brique voir 2
!permanence voir 1
!agenda
"""

BOB = """\
!réunion participe 8 non
!réunion confirmer 10
!réunion annuler 8
!odj fait 2
!permanence annuler 1 ; 22/12
!rythme régler un jeudi sur deux à 18h ; MESHS
!réunion participe 9 peut-être
"""

WRONG = """\
!blah
!réunoin liste
!réunion machin 1
!réunion participe 99
!réunion voir 42
!réunion proposer
!réunion proposer n'importe quand ; Atelier
!réunion déplacer 8
!réunion annuler abc
!brique lien 2 ; javascript:alert(1)
!brique statut 2 ; terminée
!brique voir rien du tout
!brique ajouter Services légaux pour les communs
!permanence tenir 1 ; 9/12
!permanence voir 7
!odj fait 99
!odj ajouter
!réunion voir 1 ; 2
"""


def console(db: Path, script: str, *extra: str) -> list[str]:
    return console_replies(db, script, *extra, now=NOW)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    db = tmp_path_factory.mktemp("session") / "chambre.db"
    alice = console(db, ALICE, "--user", "alice")
    bob = console(db, BOB, "--user", "bob", "--member")
    before_wrong = export(db)
    wrong = console(db, WRONG, "--user", "carol", "--member")
    return {"db": db, "alice": alice, "bob": bob, "wrong": wrong, "before_wrong": before_wrong, "export": export(db)}


def test_every_line_gets_one_reply(session):
    assert len(session["alice"]) >= ALICE.count("\n")  # !aide and the lists hold blank lines
    assert len(session["bob"]) == BOB.count("\n")
    assert len(session["wrong"]) == WRONG.count("\n")


def test_replies_a_member_reads(session):
    text = "\n\n".join(session["alice"])
    assert "Réunion n°8 proposée : Atelier briques" in text
    assert "Quand : vendredi 4 décembre 2026, 19:00" in text
    assert "Réunion n°9 proposée : Rencontre OVH" in text
    assert "à organiser" in text
    assert "Réunion n°10 proposée : Bricks review" in text and "samedi 5 décembre 2026, 14:00" in text
    assert "Réunion n°9 déplacée : Rencontre OVH — jeudi 10 décembre 2026, 18:00–20:00" in text
    assert "Réunion n°10 annulée : Bricks review" in text and "Raison : salle indisponible" in text
    assert "mardi 8 décembre 2026" in text and "tenue par alice" in text
    assert "annulée le mardi 15 décembre 2026, 17:00" in text
    assert "Services financiers pour les communs : idée → décrite" in text
    assert "décrite → recette" in text
    assert "Point n°1 traité : Trouver une salle pour janvier" in text
    # the help lists every command with an example
    assert "!réunion proposer <quand> ; <titre> ; [lieu]" in session["alice"][0]
    assert "Exemple : !brique statut 2 ; recette ; la recette est sur le pad" in session["alice"][0]


def test_member_refusals_say_who_may(session):
    bob = session["bob"]
    assert bob[0].startswith("Noté : non pour la réunion n°8")
    assert "Refusé : seuls les organisateurs peuvent utiliser !réunion confirmer" in bob[1]
    assert "Refusé" in bob[2] and "alice" in bob[2]  # only organisers and its proposer, alice
    assert "Refusé" in bob[3] and "alice" in bob[3]
    assert "Refusé" in bob[4] and "alice" in bob[4]
    assert "Refusé : seuls les organisateurs peuvent utiliser !rythme régler" in bob[5]
    assert bob[6].startswith("Noté : peut-être pour la réunion n°9")


def test_wrong_commands_get_a_reply_and_change_nothing(session):
    wrong = session["wrong"]
    assert "Commande inconnue : !blah" in wrong[0] and "!aide" in wrong[0]
    assert "!réunion liste" in wrong[1]  # the nearest name
    assert "Je ne connais pas « réunion machin »" in wrong[2] and "!réunion proposer" in wrong[2]
    assert "Pas de réunion n°99" in wrong[3]
    assert "Pas de réunion n°42" in wrong[4]
    assert "Il manque <quand>" in wrong[5] and "Exemple : !réunion proposer" in wrong[5]
    assert "n'importe quand" in wrong[6]
    assert "Il manque <quand>" in wrong[7] and "Usage : !réunion déplacer <n> ; <quand>" in wrong[7]
    assert "« abc » n'est pas un numéro" in wrong[8] and "Exemple" in wrong[8]
    assert "http(s)" in wrong[9]
    assert "terminée" in wrong[10] and "recette" in wrong[10]
    assert "Aucune brique ne s'appelle « rien du tout »" in wrong[11]
    assert "existe" in wrong[12] or "déjà" in wrong[12]
    assert "n'a pas lieu" in wrong[13]
    assert "Pas de permanence n°7" in wrong[14]
    assert "Pas de point n°99" in wrong[15]
    assert "Il manque <texte>" in wrong[16]
    assert "Trop d'arguments" in wrong[17]
    assert session["export"] == session["before_wrong"]


def test_export_meetings(session):
    meetings = session["export"]["meetings"]
    assert [m["id"] for m in meetings] == list(range(1, 11))
    seeded, (m1, m2, m3) = meetings[:7], meetings[7:]
    # the group's page's meetings to organise: no date, from the seed
    assert [m["title"] for m in seeded][1:3] == ["Rencontre OVH (Octave Klaba)", "Rencontre Cigales"]
    assert all((m["start"], m["status"], m["source"]) == (None, "proposed", "seed") for m in seeded)
    assert m1 == {"id": 8, "title": "Atelier briques", "start": "2026-12-04T19:00:00+01:00", "end": None, "place": "MESHS",
                  "status": "confirmed", "proposed_by": "alice", "room": "console",
                  "rsvp": {"yes": ["alice"], "no": ["bob"], "maybe": []},
                  "source": "command", "message": None, "link": None}
    assert m2["title"] == "Rencontre OVH" and m2["status"] == "confirmed"
    assert (m2["start"], m2["end"]) == ("2026-12-10T18:00:00+01:00", "2026-12-10T20:00:00+01:00")
    assert m2["place"] == "Maison des associations" and m2["rsvp"]["maybe"] == ["bob"]
    assert m3["status"] == "cancelled" and m3["start"] == "2026-12-05T14:00:00+01:00"
    assert m3["rsvp"] == {"yes": [], "no": [], "maybe": ["alice"]}


def test_export_permanences(session):
    (perm,) = session["export"]["permanences"]
    assert perm["title"] == "Permanence des communs" and perm["place"] == "Tiers-lieu" and perm["active"] is True
    assert perm["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert perm["dtstart"] == "2026-12-01T17:00:00+01:00" and perm["duration_minutes"] == 120
    assert perm["cancelled"] == ["2026-12-15T17:00:00+01:00"]
    assert perm["hosts"] == {"2026-12-08T17:00:00+01:00": ["alice"]}


def test_export_bricks_and_histories(session):
    bricks = session["export"]["bricks"]
    assert len(bricks) == 12 + 1  # the seed page's twelve, and the canteen
    finance = bricks[1]
    assert finance["name"] == "Services financiers pour les communs"
    assert finance["status"] == "recipe" and finance["lead"] == "Camille"
    assert finance["links"] == [{"url": "https://pad.example.org/finances", "label": "le pad"}]
    history = finance["history"]
    assert history[0]["by"] == "chambre-bot" and history[0]["status"] == "idea"
    assert [(h["by"], h["status"], h["note"]) for h in history[1:3]] == [
        ("alice", "described", "on a un pad"), ("alice", "recipe", None)]
    assert all(h["at"] == NOW for h in history[1:])
    assert [h["note"] for h in history[3:]] == ["le pad : https://pad.example.org/finances", "rencontre avec HelloAsso", "Camille"]
    canteen = bricks[12]
    assert canteen["id"] == 13 and canteen["name"] == "Commons canteen" and canteen["category"] == "brick"
    assert canteen["status"] == "idea" and canteen["description"] == "Une cantine partagée, le midi"
    assert canteen["history"][0]["status"] == "idea" and "A shared canteen" in canteen["history"][1]["note"]
    # the other seeded bricks are untouched
    assert [len(b["history"]) for b in bricks[2:12]] == [1] * 10


def test_export_topics(session):
    assert session["export"]["topics"] == [
        {"id": 1, "text": "Trouver une salle pour janvier", "added_by": "alice", "done": True},
        {"id": 2, "text": "Budget 2027", "added_by": "alice", "done": False},
    ]
    assert session["export"]["version"] == 1
