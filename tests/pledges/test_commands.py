"""!mécénat / !pledge on a real SQLite file: commitments recorded exactly, replaced and stopped
with their history kept, the collective as anyone sees it (no private amount), one's own
amount only in a direct message, and every bad input refused with an example, changing nothing."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config, parse_config
from commands.dispatcher import dispatch
from tests.core.conftest import NOW, Chat, dumps


class Room(Chat):
    """The command layer as a room sees it, with what the bot sends each sender privately."""

    def talk(self, text: str, sender: str = "alice", lang: str = "fr", direct: bool = False,
             organiser: bool = False) -> tuple[str, list[str]]:
        ctx = self.context(sender, organiser, lang)
        ctx.direct = direct
        with self.db.atomic():
            reply = dispatch(ctx, text)
        assert reply is not None
        return reply.plain(), [doc.plain() for doc in ctx.private]

    def room(self, text: str, **kw) -> str:
        return self.talk(text, **kw)[0]


@pytest.fixture
def room(tmp_path: Path):
    r = Room(tmp_path / "chambre.db", Config())
    yield r
    r.close()


def pledges(room: Room) -> list[dict]:
    return room.export()["pledges"]


def test_a_commitment_is_recorded_exactly_and_its_amount_said_only_to_its_pledger(room):
    reply, private = room.talk("!mécénat engager 37,45 € par mois ; pendant 6 mois ; pour Redistribution")
    assert reply.startswith("Merci ! Engagement enregistré, pour 6 mois, jusqu'au lundi 31 mai 2027 inclus.")
    assert "Votre nom est affiché dans le collectif, pas votre montant" in reply
    assert "37" not in reply and "message privé" in reply
    (dm,) = private
    assert "37,45\u00a0€/mois pendant 6 mois, jusqu'au lundi 31 mai 2027 inclus, pour « Redistribution vers les collectifs »" in dm
    (p,) = pledges(room)
    assert p == {"id": 1, "person": "alice", "amount_cents": 3745, "currency": "EUR", "months": 6, "brick": 7,
                 "visibility": "named", "started": "2026-12-01T10:00:00+01:00", "last_day": "2027-05-31",
                 "ended": None, "end_reason": None, "replaces": None, "reminders": True, "room": "!room:test", "lang": "fr"}


def test_defaults_twelve_months_named_no_brick(room):
    room.room("!mécénat engager 50")
    (p,) = pledges(room)
    assert (p["amount_cents"], p["months"], p["brick"], p["visibility"], p["last_day"]) == (5000, 12, None, "named", "2027-11-30")


@pytest.mark.parametrize("options,expected", [
    ("pendant 3 mois", {"months": 3}), ("pour 6 mois", {"months": 6}), ("for six months", {"months": 6}),
    ("pendant 1 an", {"months": 12}), ("2 ans", {"months": 24}), ("18 mois", {"months": 18}),
    ("pour 7", {"brick": 7}), ("to Redistribution vers les collectifs", {"brick": 7}), ("pour n°2", {"brick": 2}),
    ("anonyme", {"visibility": "anonymous"}), ("ANONYMOUS", {"visibility": "anonymous"}),
    ("montant public", {"visibility": "public"}), ("public amount", {"visibility": "public"}),
    ("montant public ; pour redistribution ; pendant 2 mois", {"visibility": "public", "brick": 7, "months": 2}),
])
def test_options_in_any_order_said_by_their_word(room, options, expected):
    reply = room.room(f"!mécénat engager 20 par mois ; {options}")
    assert reply.startswith("Merci"), reply
    (p,) = pledges(room)
    assert {k: p[k] for k in expected} == expected


def test_the_english_command(room):
    reply, (dm,) = room.talk("!pledge commit €12.50 a month ; for 3 months ; to 7 ; public amount", lang="en")
    assert reply.startswith("Thank you! Pledge recorded: €12.50 a month for 3 months, through Sunday 28 February 2027.")
    assert "Your name and your amount show in the collective" in reply
    assert "Running: €12.50 a month for 3 months" in dm
    assert room.room("!pledge", lang="en").startswith("Commons patronage\n1 person pledges to give every month")


BAD = [
    ("!mécénat engager -5", "un montant est positif"),
    ("!mécénat engager beaucoup", "« beaucoup » n'est pas un montant"),
    ("!mécénat engager 50 dollars", "ce groupe s'engage en euros (€) seulement"),
    ("!mécénat engager 50 ; pour Cantine des communs", "Aucune brique ne s'appelle « Cantine des communs »"),
    ("!mécénat engager 50 ; pour 99", "Pas de brique n°99"),
    ("!mécénat engager 50 ; pendant 3 semaines", "un engagement se compte en mois"),
    ("!mécénat engager 50 ; pendant 10 jours", "un engagement se compte en mois"),
    ("!mécénat engager 50 ; pendant longtemps", "n'est pas une durée en mois"),
    ("!mécénat engager 50 ; pendant 0 mois", "de 1 à 120 mois"),
    ("!mécénat engager 50 ; pendant 121 mois", "de 1 à 120 mois"),
    ("!mécénat engager 0", "au moins un centime"),
    ("!mécénat engager 10000,01", "plus que le plafond du groupe, 10\u00a0000\u00a0€/mois"),
    ("!mécénat engager 99999999999999999999", "plafond"),
    ("!mécénat engager 1,250", "deux façons"),
    ("!mécénat engager 12,345", "deux façons"),
    ("!mécénat engager 50 par an", "par mois"),
    ("!mécénat engager 50 ; anonyme ; montant public", "l'affichage est déjà donné"),
    ("!mécénat engager 50 ; pendant 2 mois ; pendant 3 mois", "la durée est déjà donnée"),
    ("!mécénat engager 50 ; anonym", "« anonym » : je ne sais pas ce que c'est"),
    ("!mécénat engager 50 pendant 6 mois", "n'est pas un montant"),
    ("!mécénat engager", "Il manque <montant> par mois"),
]


@pytest.mark.parametrize("line,says", BAD)
def test_bad_input_gets_a_short_reply_with_an_example_and_changes_nothing(room, line, says):
    room.room("!mécénat engager 30 ; anonyme ; pour 2")
    before = dumps(room.export())
    reply, private = room.talk(line)
    assert says in reply
    assert "Exemple : !mécénat engager 50 par mois" in reply
    assert len(reply) < 400 and not private
    assert dumps(room.export()) == before


def test_bad_input_in_english(room):
    reply = room.room("!pledge commit 50 dollars", lang="en")
    assert reply == ("\"50 dollars\": this group pledges in euros (€) only.\n"
                     "Example: !pledge commit 50 a month ; for 12 months ; to Redistribution vers les collectifs")


def test_the_ceiling_and_the_currency_are_the_group_s(tmp_path: Path):
    config = parse_config({"pledges": {"currency": "CHF", "ceiling": 500}}, env={})
    room = Room(tmp_path / "chf.db", config)
    try:
        assert "en francs suisses (CHF) seulement" in room.room("!mécénat engager 50 €")
        assert "plafond du groupe, 500\u00a0CHF/mois" in room.room("!mécénat engager 500,50")
        assert room.room("!mécénat engager 500 CHF").startswith("Merci")
        assert pledges(room)[0]["currency"] == "CHF"
        assert "500\u00a0CHF/mois" in room.room("!mécénat")
    finally:
        room.close()


def test_a_replacement_keeps_the_history_and_what_its_pledger_chose(room):
    room.room("!mécénat engager 30 ; anonyme ; pour 2")
    room.now += timedelta(days=40)
    reply, (dm,) = room.talk("!mécénat engager 45")
    assert reply.startswith("Merci ! Engagement remplacé, pour 12 mois")
    # still anonymous and for brick 2: a replacement does not show more than its pledger chose
    assert "Vous êtes compté·e dans le collectif sans être nommé·e" in reply
    assert "Historique :\n• mardi 1er décembre 2026 – dimanche 10 janvier 2027 : 30\u00a0€/mois (remplacé)" in dm
    assert "Vous donnez depuis le mardi 1er décembre 2026" in dm  # giving without a break
    old, new = pledges(room)
    assert (old["ended"], old["end_reason"]) == ("2027-01-10T10:00:00+01:00", "replaced")
    assert (new["amount_cents"], new["visibility"], new["brick"], new["replaces"]) == (4500, "anonymous", 2, 1)
    room.room("!mécénat engager 45 ; nommé ; sans brique")
    assert (pledges(room)[-1]["visibility"], pledges(room)[-1]["brick"]) == ("named", None)


def test_stop_keeps_the_history(room):
    assert "Vous n'avez pas d'engagement en cours. S'engager : !mécénat engager 50 par mois" in room.room("!mécénat arrêter")
    room.room("!mécénat engager 30")
    room.now += timedelta(days=3)
    assert room.room("!mécénat arrêter").startswith("Votre engagement est arrêté à partir de maintenant")
    (p,) = pledges(room)
    assert (p["ended"], p["end_reason"]) == ("2026-12-04T10:00:00+01:00", "stopped")
    assert "Personne ne s'est encore engagé" in room.room("!mécénat")
    reply, (dm,) = room.talk("!mécénat moi")
    assert reply == "Je vous réponds en message privé."
    assert "Vous n'avez pas d'engagement en cours" in dm and "30\u00a0€/mois (arrêté)" in dm


def test_reminder_off_and_on(room):
    assert "pas d'engagement en cours" in room.room("!mécénat rappel non")
    room.room("!mécénat engager 30")
    assert room.room("!mécénat rappel non").startswith("Plus de rappel mensuel. Pour le reprendre : !mécénat rappel oui")
    assert pledges(room)[0]["reminders"] is False
    room.room("!mécénat engager 35")  # a new commitment keeps the choice
    assert pledges(room)[-1]["reminders"] is False
    assert room.room("!mécénat rappel oui").startswith("Rappel mensuel repris : un message privé le 1er de chaque mois")
    assert pledges(room)[-1]["reminders"] is True
    assert "n'est pas une valeur possible" in room.room("!mécénat rappel peut-être")


def three_pledgers(room: Room) -> None:
    room.room("!brique lien 7 ; https://liberapay.com/catalyst ; Liberapay")
    room.room("!mécénat engager 37,45 ; pour Redistribution", sender="alice")
    room.room("!mécénat engager 83,20 ; anonyme", sender="bob")
    room.room("!mécénat engager 120 ; montant public ; pour 7", sender="carol")


def test_the_collective_as_everyone_sees_it(room):
    three_pledgers(room)
    seen = {who: room.room("!mécénat", sender=who, organiser=who == "dominique")
            for who in ("alice", "bob", "carol", "dan", "dominique")}
    assert len(set(seen.values())) == 1  # organisers see nothing more
    text = seen["alice"]
    assert text == (
        "Mécénat des communs\n"
        "3 personnes s'engagent à donner chaque mois, sans condition : 240,65\u00a0€/mois au total, depuis le mardi 1er décembre 2026.\n"
        "Nommé·es :\n"
        "• alice (depuis décembre 2026)\n"
        "• carol — 120\u00a0€/mois (depuis décembre 2026)\n"
        "Et 1 personne anonyme.\n"
        "Pour quoi :\n"
        "• Redistribution vers les collectifs : 2 personnes\n"
        "• sans brique précisée : 1 personne\n"
        "Le bot enregistre des engagements ; il ne touche pas à l'argent. S'engager : !mécénat engager 50 par mois ; pendant 12 mois")
    assert "bob" not in text
    english = room.room("!pledge", lang="en")
    assert "3 people pledge to give every month, unconditionally: €240.65 a month in all" in english
    assert "• carol — €120 a month (since December 2026)" in english and "And 1 anonymous person." in english


def test_own_amount_by_direct_message_or_in_a_direct_message(room):
    three_pledgers(room)
    reply, (dm,) = room.talk("!mécénat moi", sender="bob")
    assert reply == "Je vous réponds en message privé." and "83,20\u00a0€/mois" in dm
    assert "vous êtes compté·e dans le collectif sans être nommé·e" in dm.lower()
    reply, private = room.talk("!mécénat moi", sender="alice", direct=True)
    assert not private and "37,45\u00a0€/mois" in reply and "Où donner :\n• Liberapay (https://liberapay.com/catalyst)" in reply
    reply, private = room.talk("!mécénat engager 40", sender="alice", direct=True)
    assert not private and "40\u00a0€/mois" in reply


def test_the_agenda_and_the_digest_carry_the_totals_and_no_private_amount(room):
    three_pledgers(room)
    agenda = room.room("!agenda")
    assert "Mécénat des communs\n3 personnes, 240,65\u00a0€/mois — le détail : !mécénat" in agenda
    digest = room.room("!digest")
    assert "Mécénat : 3 personnes, 240,65\u00a0€/mois, +3 cette semaine" in digest
    for text in (agenda, digest):
        assert "37,45" not in text and "83,20" not in text
    room.now += timedelta(days=8)
    assert "Mécénat :" not in room.room("!digest")  # nothing changed this week
    room.room("!mécénat arrêter", sender="bob")
    assert "Mécénat : 2 personnes, 157,45\u00a0€/mois, −1 cette semaine" in room.room("!digest")
    assert "Pledges: 2 people, €157.45 a month, −1 this week" in room.room("!digest", lang="en")


def test_an_unknown_subcommand_lists_the_group(room):
    reply = room.room("!mécénat machin")
    assert reply.startswith("Je ne connais pas « mécénat machin ». Les commandes !mécénat :")
    assert "!mécénat engager <montant> par mois ; [pendant <durée>] ; [pour <brique>] ; [anonyme|montant public]" in reply
    assert "!mécénat rappel <non|oui>" in room.room("!aide mécénat")
    assert "!pledge commit <amount> a month ; [for <duration>] ; [to <brick>] ; [anonymous|public amount]" in room.room("!help pledge", lang="en")
