"""A whole session through the installed `chambre-bot console`, three people in three
processes on one database (one room, "console"): opened, people present, three topics with
infos, a decision on a brick, two actions, closed; the minutes posted, kept, exported, and
written as Markdown and as an HTML page that is parsed back. Then every bad input of the
issue, each with a short reply that changes nothing; and a `chambre-bot run` killed in the
middle of a session, which the next run finishes."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.core.conftest import chambre_bot, console_replies, export, run_cli

NOW = "2026-12-01T10:00:00+01:00"  # a Tuesday: the rhythm below has a session today
HOSTILE = "Le tiers-lieu aussi, <b>@room</b> <script>alert(1)</script> & **pas gras**"

ALICE_OPENS = """\
!rythme régler un mardi sur deux à 18h ; MESHS
!odj ajouter Trouver une salle pour janvier
!odj ajouter Budget 2027
!odj ajouter Compost partagé
!odj ajouter Point pas atteint
!séance ouvrir
!présent Dominique
!point suivant
!info La MESHS est libre le 12 janvier
"""

BOB_SPEAKS = f"""\
Bonjour tout le monde
!info {HOSTILE}
!action moi ; demander le devis ; vendredi
!point suivant
!décision On part sur le tiers-lieu
!séance clore
"""

ALICE_CLOSES = """\
!point suivant
!info Il reste 300 € en caisse
!décision brique 2 ; On lance la recette avec HelloAsso
!point 3
!info Un bac au jardin partagé
!action bob ; écrire au jardin ; 15/12
!séance clore
!odj liste
!brique voir 2
!action liste
!séance voir 1/12
!digest
"""


def console(db: Path, script: str, *extra: str) -> list[str]:
    return console_replies(db, script, *extra, now=NOW)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    db = tmp_path_factory.mktemp("minutes") / "chambre.db"
    alice = console(db, ALICE_OPENS, "--user", "alice")
    bob = console(db, BOB_SPEAKS, "--user", "bob", "--member")
    closing = run_cli("console", "--now", NOW, "--db", str(db), "--user", "alice", stdin=ALICE_CLOSES).stdout
    return {"db": db, "alice": alice, "bob": bob, "closing": closing, "export": export(db)}


def minutes_of(text: str) -> str:
    """The minutes in a console transcript: from their heading to the next reply's start."""
    start = text.index("Compte rendu — ")
    end = text.index("Ordre du jour", start)  # the !odj liste reply that follows
    return text[start:end]


def test_opening_shows_the_topics_to_go_through(session):
    opened = next(block for block in session["alice"] if "ouverte" in block)
    assert opened.splitlines()[:2] == ["Séance n°1 ouverte : Séance du mardi 1er décembre 2026", "Présidence : alice — MESHS"]
    assert "• n°1 Trouver une salle pour janvier" in opened and "• n°4 Point pas atteint" in opened
    assert "Commencer : !point suivant" in opened


def test_a_member_records_but_does_not_lead(session):
    bob = session["bob"]
    assert bob[0] == "Info notée."  # "Bonjour tout le monde" gets no reply: it is not a command
    assert bob[1].startswith("Action n°1 : demander le devis — pour bob — échéance : vendredi 4 décembre 2026")
    assert all(reply.startswith("Refusé : seuls les organisateurs et la personne qui préside la séance (alice)")
               for reply in bob[2:]), bob[2:]


def test_the_minutes_posted_at_close(session):
    minutes = minutes_of(session["closing"])
    lines = minutes.splitlines()
    assert lines[:5] == [
        "Compte rendu — Séance du mardi 1er décembre 2026 (séance n°1)",
        "mardi 1er décembre 2026 — MESHS",
        "ouverte à 10:00 par alice ; close à 10:00 par alice",
        "Présidence : alice",
        "Présents (3) : alice, Dominique (en salle), bob",  # bob spoke: present without saying so
    ]
    topic1 = minutes.split("Point n°1 — Trouver une salle pour janvier\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert topic1 == [
        "• Info : La MESHS est libre le 12 janvier — alice",
        f"• Info : {HOSTILE.replace('@room', '@' + chr(0x2060) + 'room')} — bob",  # pings nobody
        "• Action n°1 : demander le devis — pour bob — échéance : vendredi 4 décembre 2026",
    ]
    assert "Point n°2 — Budget 2027\n• Info : Il reste 300 € en caisse — alice\n" \
           "• Décision : On lance la recette avec HelloAsso — alice — brique n°2 Services financiers pour les communs" in minutes
    assert "Point n°3 — Compost partagé\n• Info : Un bac au jardin partagé — alice\n" \
           "• Action n°2 : écrire au jardin — pour bob — échéance : mardi 15 décembre 2026" in minutes
    assert "Points non traités (ils restent à l'ordre du jour)\n• n°4 Point pas atteint" in minutes
    assert "On part sur le tiers-lieu" not in minutes  # refused to a member


def test_what_follows_the_session(session):
    closing = session["closing"]
    # the topic not reached stays on the agenda; the three discussed are done
    agenda = closing.split("Ordre du jour\n", 1)[1].split("\n\n", 1)[0]
    assert agenda == "• 4. Point pas atteint — alice"
    # the decision is in the brick's history
    assert "— alice — décision en séance : On lance la recette avec HelloAsso" in closing
    # both actions, each with its person
    assert "Actions en cours\n• Action n°1 : demander le devis — pour bob — échéance : vendredi 4 décembre 2026\n" \
           "• Action n°2 : écrire au jardin — pour bob — échéance : mardi 15 décembre 2026" in closing
    # the minutes again, by the session's date
    assert closing.count("Compte rendu — Séance du mardi 1er décembre 2026 (séance n°1)") == 2
    # the digest: the session's minutes and the open actions
    digest = closing.split("La semaine de la Chambre", 1)[1]
    assert "Séances\n• séance ouverte : n°1 (alice)\n• compte rendu de séance : n°1 (alice)" in digest
    assert "Actions en cours\n• Action n°1 : demander le devis — pour bob" in digest


def test_the_export_holds_the_session_and_its_actions(session):
    data = session["export"]
    assert data["version"] == 1
    [s] = data["sessions"]
    assert {k: s[k] for k in ("id", "title", "date", "place", "chair", "closed_by", "closed_by_itself")} == {
        "id": 1, "title": None, "date": "2026-12-01", "place": "MESHS", "chair": "alice", "closed_by": "alice",
        "closed_by_itself": False}
    assert s["opened_at"] == "2026-12-01T10:00:00+01:00"
    assert s["present"] == [{"person": "alice", "how": "chair"}, {"person": "Dominique", "how": "named"},
                            {"person": "bob", "how": "spoke"}]
    assert [(t["topic"], t["discussed"]) for t in s["topics"]] == [(1, True), (2, True), (3, True), (4, False)]
    assert [(n["kind"], n["topic"], n["brick"], n["by"]) for n in s["notes"]] == [
        ("info", 1, None, "alice"), ("info", 1, None, "bob"), ("info", 2, None, "alice"), ("decision", 2, 2, "alice"),
        ("info", 3, None, "alice")]
    assert s["notes"][1]["text"] == HOSTILE
    assert [{k: a[k] for k in ("id", "session", "topic", "person", "person_id", "due", "done")} for a in data["actions"]] == [
        {"id": 1, "session": 1, "topic": 1, "person": "bob", "person_id": "bob", "due": "2026-12-04", "done": False},
        {"id": 2, "session": 1, "topic": 3, "person": "bob", "person_id": "bob", "due": "2026-12-15", "done": False}]
    assert [t["done"] for t in data["topics"]] == [True, True, True, False]
    history = next(b for b in data["bricks"] if b["id"] == 2)["history"]
    assert history[-1]["note"] == "On lance la recette avec HelloAsso"


class Page(HTMLParser):
    """The elements and the text of an HTML page, as a browser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_the_minutes_as_a_file_in_both_formats(session, tmp_path):
    db = session["db"]
    md = run_cli("minutes", "--db", str(db), "1").stdout
    assert md.startswith("# Compte rendu — Séance du mardi 1er décembre 2026 (séance n°1)\n")
    assert "## Point n°2 — Budget 2027" in md
    assert "- **Décision** : On lance la recette avec HelloAsso — *alice — brique n°2 Services financiers pour les communs*" in md
    # the member's markup is text: entities for what would be HTML, backslashes for Markdown
    assert ("- **Info** : Le tiers-lieu aussi, &lt;b&gt;@room&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt; "
            "&amp; \\*\\*pas gras\\*\\* — *bob*") in md
    page = tmp_path / "minutes.html"
    assert run_cli("minutes", "--db", str(db), "2026-12-01", "--format", "html", "-o", str(page)).stdout == ""
    html = page.read_text(encoding="utf-8")
    parsed = Page()
    parsed.feed(html)
    assert html.startswith("<!DOCTYPE html>") and parsed.tags.count("html") == 1
    # no element the member typed became one: only the page's own
    assert set(parsed.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "div", "p", "strong",
                                "section", "h2", "ul", "li", "span"}
    assert "script" not in parsed.tags and "b" not in parsed.tags
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown exactly as typed
    assert "Points non traités (ils restent à l'ordre du jour)" in text and "n°4 Point pas atteint" in text
    assert "Présents (3)" in text and "alice, Dominique (en salle), bob" in text


def test_the_minutes_command_refuses_what_it_cannot_find(session):
    db = str(session["db"])
    for args, said in ((["7"], "no session number 7"), (["2027-01-05"], "no session on 2027-01-05"),
                       (["3/12"], "neither a session number nor a date")):
        proc = run_cli("minutes", "--db", db, *args, check=False)
        assert proc.returncode != 0 and said in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


BAD = [
    ("!info Rien", "Aucune séance n'est ouverte dans ce salon : un organisateur l'ouvre avec !séance ouvrir."),
    ("!décision Rien", "Aucune séance n'est ouverte dans ce salon"),
    ("!point suivant", "Aucune séance n'est ouverte dans ce salon"),
    ("!présent", "Aucune séance n'est ouverte dans ce salon"),
    ("!séance clore", "Aucune séance n'est ouverte dans ce salon : il n'y a rien à clore."),
    ("!action", "Il manque <personne>."),
    ("!action ; écrire", "Il manque <personne>."),
    ("!action Camille", "Il manque <texte>."),
    ("!action Camille ; écrire ; hier", "est passé"),
    ("!action Camille ; écrire ; aujourd'hui 8h", "est passé"),
    ("!action Camille ; écrire ; un jour", "Exemples"),
    ("!action fait 1", "Refusé : seuls les organisateurs et la personne qui a l'action n°1 (bob) peuvent la clore."),
    ("!action fait 99", "Pas d'action n°99."),
    ("!séance voir 9", "Pas de séance n°9."),
    ("!séance voir demain", "n'est pas encore venu"),
    ("!point machin", "« machin » n'est pas un numéro de point (!point suivant passe au suivant).\nUsage : !point <n>"),
]


def test_bad_input_gets_a_short_reply_and_changes_nothing(session, tmp_path):
    db = tmp_path / "copy.db"
    sqlite3.connect(session["db"]).backup(sqlite3.connect(db))
    before = export(db)
    replies = console(db, "".join(line + "\n" for line, _ in BAD), "--user", "carol", "--member")
    assert len(replies) == len(BAD)
    for (line, said), reply in zip(BAD, replies):
        assert said in reply, (line, reply)
        assert len(reply) < 400, (line, reply)
    assert export(db) == before


def test_a_second_opening_and_a_second_close_are_refused(tmp_path):
    db = tmp_path / "chambre.db"
    replies = console(db, "!séance ouvrir\n!séance ouvrir Autre\n!séance clore\n!séance clore\n", "--user", "alice")
    assert replies[1] == "Une séance est déjà ouverte dans ce salon (n°1, présidée par alice) : close-la d'abord."
    assert replies[3] == "Aucune séance n'est ouverte dans ce salon : il n'y a rien à clore."
    assert len(export(db)["sessions"]) == 1


def test_a_run_killed_in_the_middle_of_a_session_loses_nothing(tmp_path):
    """`chambre-bot run` (the console, no chat configured) killed with SIGKILL mid-session:
    the next run finds the session open, with all it had noted, and closes it."""
    db = tmp_path / "chambre.db"
    config = tmp_path / "config.toml"
    config.write_text(f'[chambre]\ndatabase = "{db}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    first = subprocess.Popen([*chambre_bot(), "run", "-c", str(config)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        first.stdin.write("!odj ajouter Avant la coupure\n!séance ouvrir Séance coupée\n!point suivant\n"
                          "!info Noté avant la coupure\n")
        first.stdin.flush()

        def noted() -> bool:
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    notes = conn.execute("SELECT count(*) FROM session_notes").fetchone()[0]
                    pending = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
                return notes == 1 and pending == 0
            except sqlite3.OperationalError:
                return False

        deadline = time.monotonic() + 60
        while not noted():
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read() if first.poll() else "slow"
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    second = run_cli("run", "-c", str(config), stdin="!info Noté après\n!séance clore\n").stdout
    assert "Compte rendu — Séance coupée (séance n°1)" in second
    assert "Point n°1 — Avant la coupure\n• Info : Noté avant la coupure — " in second
    assert "• Info : Noté après — " in second
