"""The mécénat through the installed `chambre-bot`: three pledgers (named, anonymous, public
amount) and two others in piped console sessions on one database; the collective as each sees
it; no private amount in any message the bot sent to a room in the whole session, in any
spelling; each pledger's own amount by direct message; the monthly reminders once per month
across restarts and a change of summer time; the end notice; the digest line; the export."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.money import format_amount, per_month, typed_amount
from bot.richtext import Doc
from tests.core.conftest import run_cli

NOW = "2027-02-20T10:00:00+01:00"  # a Saturday
PRIVATE = {"alice": 3745, "bob": 8320}  # carol's 120 € is public

PLEDGES = {
    "alice": "!mécénat engager 37,45 € par mois ; pour Redistribution vers les collectifs\n",
    "bob": "!mécénat engager 83,20 ; anonyme ; pendant 2 mois\n",
    "carol": "!mécénat engager 120 ; montant public ; pour 7\n!mécénat rappel non\n",
}
BAD = """\
!mécénat engager -5
!mécénat engager beaucoup
!mécénat engager 50 dollars
!mécénat engager 50 ; pour Cantine des communs
!mécénat engager 50 ; pendant 3 semaines
!mécénat engager 20000
!mécénat arrêter
!pledge commit 50 a month ; for a fortnight
"""


def console(db: Path, user: str, script: str, *extra: str, now: str = NOW) -> str:
    return run_cli("console", "--now", now, "--db", str(db), "--user", user, *extra, stdin=script).stdout


def sent(db: Path) -> list[tuple[str | None, str | None, str]]:
    """(room, direct-message user, text) of every message the bot sent, in order."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT room, dm_user, body FROM outbox ORDER BY id").fetchall()
    finally:
        conn.close()
    return [(room, dm, Doc.from_json(body).plain()) for room, dm, body in rows]


def spellings(cents: int) -> set[str]:
    """Every way the amount could be written: as the bot writes it in either language, as a
    member types it, with a point or a comma, in cents, rounded to the euro."""
    units, rest = divmod(cents, 100)
    out = {format_amount(cents, "EUR", lang) for lang in ("fr", "en")} | {per_month(cents, "EUR", lang) for lang in ("fr", "en")}
    out |= {typed_amount(cents, lang) for lang in ("fr", "en")}
    out |= {f"{units},{rest:02d}", f"{units}.{rest:02d}", f"{units},{rest}".rstrip("0"), f"{units}.{rest}".rstrip("0"),
            str(cents), f"{units} {rest:02d}", f"{units}\u00a0€", f"{units} €", f"{units}€", f"€{units}", f"{units} euros"}
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    db = tmp_path_factory.mktemp("pledges") / "chambre.db"
    out = {"setup": console(db, "camille", "!mécénat\n!brique lien 7 ; https://liberapay.com/catalyst ; Liberapay Catalyst\n")}
    for who, script in PLEDGES.items():
        out[who] = console(db, who, script, "--member")
    out["bad"] = console(db, "dan", BAD, "--member")
    out["seen"] = {}
    for who in ("alice", "bob", "carol", "dan", "camille"):
        out["seen"][who] = console(db, who, "!mécénat\n!mécénat moi\n", *(() if who == "camille" else ("--member",)))
    out["agenda"] = console(db, "dan", "!agenda\n!digest\n", "--member")
    out["digest"] = run_cli("digest", "--db", str(db), "--now", "2027-02-22T09:00").stdout
    out["export_before"] = json.loads(run_cli("export", "--db", str(db)).stdout)
    # The months go by: a restart on 28 February, another on 2 March, a third on 2 April (after
    # the change to summer time on 28 March).
    out["march"] = console(db, "camille", "/avance 2 jours\n", now="2027-02-28T12:00")
    out["april"] = console(db, "camille", "/avance 31 jours\n", now="2027-03-02T13:00")
    out["ending"] = console(db, "camille", "/avance 12 jours\n", now="2027-04-02T13:00")
    out["again"] = console(db, "camille", "/avance 1 heure\n", now="2027-04-14T13:00")
    out["sent"] = sent(db)
    out["db"] = db
    out["export"] = json.loads(run_cli("export", "--db", str(db)).stdout)
    return out


def room_messages(session) -> list[str]:
    return [text for room, dm, text in session["sent"] if room is not None]


def test_no_private_amount_in_any_room_message_in_any_spelling(session):
    texts = room_messages(session)
    assert len(texts) > 30  # the replies of every session, and the digests and agendas posted
    for who, cents in PRIVATE.items():
        for spelling in spellings(cents):
            leaks = [t for t in texts if spelling in t]
            assert not leaks, f"{who}'s amount written {spelling!r} in a room: {leaks[0]}"
    # and carol's public amount is there, as she chose
    assert any("carol — 120\u00a0€/mois" in t for t in texts)


def test_the_collective_as_each_sees_it(session):
    seen = {who: text.split("\n\n")[0] for who, text in session["seen"].items()}
    assert len(set(seen.values())) == 1, seen  # pledgers, a member who gives nothing, an organiser
    assert seen["dan"] == (
        "Mécénat des communs\n"
        "3 personnes s'engagent à donner chaque mois, sans condition : 240,65\u00a0€/mois au total, depuis le samedi 20 février 2027.\n"
        "Nommé·es :\n"
        "• alice (depuis février 2027)\n"
        "• carol — 120\u00a0€/mois (depuis février 2027)\n"
        "Et 1 personne anonyme.\n"
        "Pour quoi :\n"
        "• Redistribution vers les collectifs : 2 personnes\n"
        "• sans brique précisée : 1 personne\n"
        "Le bot enregistre des engagements ; il ne touche pas à l'argent. S'engager : !mécénat engager 50 par mois ; pendant 12 mois")
    assert "bob" not in seen["dan"]


def test_each_pledger_s_own_amount_by_direct_message(session):
    dms = [(dm, text) for room, dm, text in session["sent"] if dm is not None]
    mine = {who: [text for dm, text in dms if dm == who and text.startswith("Votre mécénat")] for who in ("alice", "bob", "carol", "dan")}
    assert "En cours : 37,45\u00a0€/mois pendant 12 mois, jusqu'au samedi 19 février 2028 inclus, pour « Redistribution vers les collectifs »." in mine["alice"][0]
    assert "Où donner :\n• Liberapay Catalyst (https://liberapay.com/catalyst)" in mine["alice"][0]
    assert "En cours : 83,20\u00a0€/mois pendant 2 mois, jusqu'au lundi 19 avril 2027 inclus." in mine["bob"][0]
    assert "Vous êtes compté·e dans le collectif sans être nommé·e." in mine["bob"][0]
    assert "Rappel mensuel : non" in mine["carol"][0]
    assert "Vous n'avez pas d'engagement en cours" in mine["dan"][0]
    # nobody's direct message holds another's private amount
    for who, texts in mine.items():
        for other, cents in PRIVATE.items():
            if other != who:
                assert not any(s in t for t in texts for s in spellings(cents))
    # the console shows them as direct messages, after the reply in the room
    bob = session["seen"]["bob"]
    assert bob.index("Je vous réponds en message privé.") < bob.index("[message privé pour bob]\nVotre mécénat\nEn cours : 83,20")


def test_bad_input_in_the_console(session):
    replies = [block for block in session["bad"].split("\n\n") if block.strip()]
    assert len(replies) == BAD.count("\n")
    assert all("Exemple : !mécénat engager 50 par mois" in r or "S'engager : !mécénat engager 50 par mois" in r
               or "Example: !pledge commit 50 a month" in r for r in replies), replies
    assert "« 20000 » : " not in replies[5] and "plafond du groupe, 10\u00a0000\u00a0€/mois" in replies[5]
    assert replies[7].startswith("« a fortnight » : ni une durée en mois, ni une brique (Aucune brique ne s'appelle « a fortnight »")
    assert [p["person"] for p in session["export_before"]["pledges"]] == ["alice", "bob", "carol"]


def test_the_digest_and_the_agenda(session):
    assert "Mécénat : 3 personnes, 240,65\u00a0€/mois, +3 cette semaine" in session["digest"]
    assert "Mécénat des communs\n3 personnes, 240,65\u00a0€/mois — le détail : !mécénat" in session["agenda"]
    posted = [t for t in room_messages(session) if t.startswith("La semaine de la Chambre — lundi 1er mars 2027")]
    assert posted and "Mécénat :" not in posted[0]  # nothing changed in that week


def test_the_monthly_reminders_once_a_month_across_restarts_and_summer_time(session):
    everything = "".join(session[k] for k in ("march", "april", "ending", "again"))
    for who in ("alice", "bob"):
        for month in ("mars", "avril"):
            assert everything.count(f"[message privé pour {who}]\nMécénat des communs — {month} 2027\n") == 1, (who, month)
    assert "[message privé pour carol]" not in everything  # she said no
    assert "Mécénat des communs — mai 2027" not in everything
    conn = sqlite3.connect(session["db"])
    try:
        due = conn.execute("SELECT name, due_at FROM posts WHERE name LIKE 'pledge-%' ORDER BY due_at, name").fetchall()
    finally:
        conn.close()
    # 09:00 in Lille: 08:00 UTC in winter, 07:00 UTC in summer
    assert due == [("pledge-reminder/2027-03/alice", "2027-03-01T08:00:00+00:00"),
                   ("pledge-reminder/2027-03/bob", "2027-03-01T08:00:00+00:00"),
                   ("pledge-reminder/2027-04/alice", "2027-04-01T07:00:00+00:00"),
                   ("pledge-reminder/2027-04/bob", "2027-04-01T07:00:00+00:00"),
                   ("pledge-ending/2", "2027-04-13T07:00:00+00:00")]
    assert "Mécénat des communs — mars 2027\nVotre engagement : 83,20\u00a0€/mois pendant 2 mois" in session["march"]


def test_the_end_notice(session):
    ending = session["ending"]
    assert ending.count("[message privé pour bob]\nMécénat des communs — votre engagement se termine bientôt") == 1
    assert "Pour le renouveler, 2 mois de plus : !mécénat engager 83,20 par mois ; pendant 2 mois ; anonyme" in ending
    assert "se termine bientôt" not in session["again"]


def test_the_export_holds_everything_with_each_visibility(session):
    export = session["export"]
    assert export["version"] == 1
    by_person = {p["person"]: p for p in export["pledges"]}
    assert {who: (p["amount_cents"], p["visibility"], p["brick"], p["months"], p["reminders"]) for who, p in by_person.items()} == {
        "alice": (3745, "named", 7, 12, True), "bob": (8320, "anonymous", None, 2, True), "carol": (12000, "public", 7, 12, False)}
    assert by_person["bob"]["last_day"] == "2027-04-19" and by_person["bob"]["started"] == "2027-02-20T10:00:00+01:00"
    assert all(p["currency"] == "EUR" and p["ended"] is None for p in export["pledges"])
