"""The whole path in the console, through the installed `chambre-bot`: a poll opened for a
meeting still to organise, votes by `!vote` from three people in separate sessions (a restart
between each), the deadline passed by moving the clock, the result posted once, the meeting
dated (still proposed) with its voters as "yes"."""
from __future__ import annotations

import sqlite3

from bot.richtext import Doc
from tests.core.conftest import run_cli

NOW = "2026-12-01T10:00"


def console(db, user: str, script: str, now: str = NOW, member: bool = True) -> str:
    return run_cli("console", "--now", now, "--db", str(db), "--user", user, *(("--member",) if member else ()),
                   stdin=script).stdout


def posted(db) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [Doc.from_json(body).plain() for (body,) in conn.execute("SELECT body FROM outbox ORDER BY id")]
    finally:
        conn.close()


def test_from_poll_to_date_by_vote(tmp_path):
    db = tmp_path / "chambre.db"
    opened = console(db, "camille", "!sondage 2 ; jeudi 10 décembre 18h-20h ; vendredi 11 décembre 18h ; "
                                    "samedi 12 décembre 10h\n", member=False)
    assert "Sondage n°1 : quelles dates vous conviennent pour la réunion n°2 « Rencontre OVH" in opened
    assert console(db, "alice", "!vote 1 1 2\n").count("Noté pour le sondage n°1") == 1
    console(db, "bob", "!vote 1 2\n!vote 1 2 3\n")
    console(db, "carol", "!vote 1 3\n!vote 1 aucune\n!vote 1 2\n")
    shown = console(db, "dan", "!sondage voir 1\n!sondage liste\n")
    assert "2️⃣ vendredi 11 décembre 2026, 18:00 — 3 voix (alice, bob, carol)" in shown
    assert "Sondage n°1 (réunion n°2 Rencontre OVH (Octave Klaba)) : 3 réponses, clôture vendredi 4 décembre 2026, 10:00" in shown
    # The clock passes the deadline: the result comes once, in the poll's room.
    later = console(db, "dan", "/avance 2 jours\n/avance 2 jours\n!vote 1 1\n!réunion voir 2\n")
    assert later.count("Sondage n°1 clos (3 réponses)") == 1
    assert "Date retenue pour la réunion n°2 « Rencontre OVH (Octave Klaba) » : vendredi 11 décembre 2026, 18:00" in later
    assert "Le sondage n°1 est clos" in later
    assert "Statut : proposée" in later and "oui : alice, bob, carol" in later
    # Another restart: nothing is posted again.
    console(db, "dan", "/avance 1 jour\n", now="2026-12-05T10:00")
    assert sum("Sondage n°1 clos" in text for text in posted(db)) == 1


def test_no_answer_yet_is_said_in_the_singular_in_french(tmp_path):
    db = tmp_path / "chambre.db"
    console(db, "camille", "!sondage 2 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h\n", member=False)
    assert "0 réponse — ouvert" in console(db, "dan", "!sondage voir 1\n")
    assert "1 réponse — ouvert" in console(db, "dan", "!vote 1 1\n!sondage voir 1\n")
