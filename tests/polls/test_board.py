"""The web board lists the date polls under way: each with its meeting (a link to its page),
how many answered, its deadline and the leading date; a tie says an organiser chooses."""
from __future__ import annotations

from tests.web.conftest import make_board, board  # noqa: F401  (fixtures)
from tests.web.test_board import text_of


async def test_the_board_lists_the_polls_under_way(board):  # noqa: F811
    r = await board.get("/")
    assert "Sondages de dates en cours" not in text_of(r.text)
    assert "Sondage n°1" in board.say("!sondage 11 ; jeudi 17 décembre 18h ; vendredi 18 décembre 18h")
    board.say("!vote 1 2", who="alice")
    board.say("!vote 1 1 2", who="bob")
    r = await board.get("/")
    seen = text_of(r.text)
    assert ("Sondages de dates en cours Sondage n°1 — n°11 Visite de la CAE — 2 réponse(s), clôture "
            "vendredi 4 décembre 2026, 10:00 En tête : vendredi 18 décembre 2026, 18:00") in seen, seen
    assert 'href="/reunions/11"' in r.text and "!vote 1 1 2" in seen
    english = text_of((await board.get("/?lang=en")).text)
    assert "Date polls under way Poll #1 — #11 Visite de la CAE — 2 answer(s), closes Friday 4 December 2026, 10:00" in english


async def test_a_vote_is_a_change_of_the_export(make_board):  # noqa: F811
    """The export holds every poll: a new poll and a vote give /export.json a new tag."""
    import json

    from tests.web.conftest import TOKEN

    board = await make_board(token=TOKEN)
    path = f"/export.json?token={TOKEN}"
    first = await board.get(path)
    assert first.status == 200 and json.loads(first.text)["polls"] == []
    board.say("!sondage 11 ; jeudi 17 décembre 18h ; vendredi 18 décembre 18h")
    opened = await board.get(path, **{"If-None-Match": first.headers["ETag"]})
    assert opened.status == 200 and json.loads(opened.text)["polls"][0]["answers"] == {}
    board.say("!vote 1 2", who="alice")
    voted = await board.get(path, **{"If-None-Match": opened.headers["ETag"]})
    assert voted.status == 200 and json.loads(voted.text)["polls"][0]["answers"] == {"alice": [2]}
    assert (await board.get(path, **{"If-None-Match": voted.headers["ETag"]})).status == 304
