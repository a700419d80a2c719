"""A session's minutes on the board (issue 13): each session has its page, the board links
to the latest ones, members' text stays text, names are hidden when asked, and the export's
ETag moves with the minutes."""
from __future__ import annotations

from tests.web.conftest import GROUP, TOKEN
from tests.web.test_board import text_of

# A session as the room holds it: the chair opens, people come, a topic with an info (with a
# member's markup), a decision on a brick and an action, a note outside any topic, then closing.
SESSION = [
    ("camille", "!séance ouvrir"),
    ("alice", "!présent"),
    ("camille", "!présent Dominique"),
    ("camille", "!point suivant"),
    ("alice", "!info <b>La salle</b> est libre le 12 janvier"),
    ("camille", "!décision brique 2 ; On lance la recette en janvier"),
    ("alice", "!action bob ; réserver la salle ; vendredi"),
]


def hold(board, close: bool = True) -> None:
    for who, line in SESSION + ([("camille", "!séance clore")] if close else []):
        reply = board.say(line, who=who)
        assert reply and not reply.startswith(("Désolé", "Refusé", "Je n'ai pas", "Usage", "Le texte")), (line, reply)


async def test_a_sessions_minutes_have_a_page_that_the_board_links_to(board):
    hold(board)
    r = await board.get("/seances/1")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    seen = text_of(r.text)
    assert "Compte rendu — Séance du mardi 1er décembre 2026 (séance n°1)" in seen
    assert "Présidence : camille" in seen
    assert "Présents (3) : camille, alice, Dominique (en salle)" in seen
    topic = seen.split("Point n°1 — Salle pour janvier", 1)[1]
    assert "Info : <b>La salle</b> est libre le 12 janvier — alice" in topic
    assert "Décision : On lance la recette en janvier — camille — brique n°2 Services financiers pour les communs" in topic
    assert "Action n°1 : réserver la salle — pour bob — échéance : vendredi 4 décembre 2026" in topic
    # the topic nobody reached stays on the agenda, and the page says so
    assert "Points non traités (ils restent à l'ordre du jour) n°2 <script>alert(1)</script>" in seen
    # a member's markup is shown, never read: no tag of theirs in the page
    assert "<b>La salle</b>" not in r.text and "&lt;b&gt;La salle&lt;/b&gt;" in r.text
    assert "<script>" not in r.text
    # the board lists it and links to it
    board_page = await board.get("/")
    assert 'href="/seances/1"' in board_page.text
    assert "Comptes rendus des séances n°1 Séance du mardi 1er décembre 2026 — mardi 1er décembre 2026" in text_of(
        board_page.text)


async def test_in_english_and_while_still_open(board):
    hold(board, close=False)
    page = (await board.get("/seances/1?lang=en")).text
    assert "<strong>Present (3)</strong>: camille" in page
    seen = text_of(page)  # a space where each tag was
    assert "Minutes — Session of Tuesday 1 December 2026 (session #1)" in seen
    assert "in progress" in seen and "Present (3) : camille, alice, Dominique (in the room)" in seen
    assert "Action #1 : réserver la salle — for bob — due: Friday 4 December 2026" in seen
    assert "in progress" in text_of((await board.get("/?lang=en")).text).split("Minutes of the sessions", 1)[1]
    # the link back to the board keeps the language
    assert 'href="/?lang=en#minutes"' in (await board.get("/seances/1?lang=en")).text


async def test_names_are_hidden_when_the_board_hides_them(make_board):
    board = await make_board(show_names=False)
    hold(board)
    r = await board.get("/seances/1")
    seen = text_of(r.text)
    for name in ("camille", "alice", "bob", "Dominique"):
        assert name not in seen, name
    assert "Présents (3) : 3 membres" in seen and "Présidence : un·e membre" in seen
    assert "pour un·e membre" in seen
    # what was said stays
    assert "On lance la recette en janvier" in seen


async def test_no_sessions_yet_and_an_unknown_one(board):
    assert "Aucune pour l'instant : « !séance ouvrir » en salon les commence." in text_of((await board.get("/")).text)
    for path in ("/seances/1", "/seances/99999999999999999999999"):
        r = await board.get(path)
        assert r.status == 404 and "Rien à cette adresse." in text_of(r.text), path


async def test_a_private_board_asks_the_token_for_minutes_too(make_board):
    board = await make_board(public=False, token=TOKEN)
    hold(board)
    assert (await board.get("/seances/1")).status == 401
    assert (await board.get(f"/seances/1?token={TOKEN}")).status == 200
    assert f'href="/seances/1?token={TOKEN}"' in (await board.get(f"/?token={TOKEN}")).text


async def test_the_export_changes_with_the_minutes(make_board):
    """The export is answered from a copy while the records' revision stays: minutes taken
    since must raise it, or a reader would get the copy from before them."""
    board = await make_board(lines=GROUP[:2], token=TOKEN)
    first = await board.get(f"/export.json?token={TOKEN}")
    board.say("!séance ouvrir")
    opened = await board.get(f"/export.json?token={TOKEN}")
    assert opened.headers["ETag"] != first.headers["ETag"] and '"sessions": [{' in opened.text.replace("\n", "")
    board.say("!info Une note de plus", who="alice")
    noted = await board.get(f"/export.json?token={TOKEN}", **{"If-None-Match": opened.headers["ETag"]})
    assert noted.status == 200 and "Une note de plus" in noted.text
    board.say("!action alice ; envoyer le compte rendu", who="alice")
    acted = await board.get(f"/export.json?token={TOKEN}", **{"If-None-Match": noted.headers["ETag"]})
    assert acted.status == 200 and "envoyer le compte rendu" in acted.text


async def test_the_posted_minutes_link_to_their_page_when_the_board_has_an_address(make_board):
    board = await make_board(base_url="https://chambre.example.org")
    hold(board, close=False)
    closed = board.say("!séance clore")
    assert closed.rstrip().endswith("Sur le tableau : https://chambre.example.org/seances/1")
    assert board.chat.say("!séance voir 1", lang="en").rstrip().endswith(
        "On the board: https://chambre.example.org/seances/1")
    assert (await board.get("/seances/1")).status == 200  # the address the link gives is served
    # no public address: no link
    plain = await make_board()
    hold(plain)
    assert "tableau" not in plain.say("!séance voir 1")
