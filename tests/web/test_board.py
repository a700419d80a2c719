"""The board as a member reads it (HTML over HTTP from the real server): what the commands
made, in French or English, the pages per brick and meeting, members' text shown as text,
links that only ever go to http(s), names hidden when asked, and bad addresses refused."""
from __future__ import annotations

import html
import re

from bot.export import export_json
from storage.store import Store
from tests.web.conftest import GROUP, TOKEN

TAGS = re.compile(r"<[^>]+>")


def text_of(page: str) -> str:
    """What a reader sees: the page without its tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(TAGS.sub(" ", page)).split())


async def test_the_board_shows_what_the_commands_made(board):
    r = await board.get("/")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    seen = text_of(r.text)
    # the next session, its place and its topics
    assert "Prochaine séance jeudi 3 décembre 2026, 18:00 — MESHS" in seen
    assert "Salle pour janvier — alice" in seen
    # meetings of the coming weeks with their answers and status; the cancelled one says so
    assert "n°8 Atelier briques — vendredi 4 décembre 2026, 19:00–21:00 — MESHS confirmée 2 oui, 1 peut-être" in seen
    assert "n°9 Café des communs — mercredi 9 décembre 2026, 18:00 — Tiers-lieu proposée 0 oui, 0 peut-être" in seen
    assert "n°12 Réunion annulée — lundi 14 décembre 2026, 18:00 — MESHS annulée" in seen
    # still to organise
    # the group's page's meetings to organise (seeded, n°1 to 7) come first
    assert "Réunions à organiser n°1 Rencontre Pocheco / Ouvert" in seen
    assert "n°11 Visite de la CAE — pas encore de date" in seen
    # the permanence: held on the 8th, nobody on the 1st, the 15th cancelled and not shown
    assert "mardi 1er décembre 2026, 17:00–19:00 — personne" in seen
    assert "mardi 8 décembre 2026, 17:00–19:00 — tenue par bob" in seen
    assert "15 décembre" not in seen.split("Permanences", 1)[1].split("Les briques")[0]
    # the bricks, by category, with their progress and last move
    assert re.search(r"Services financiers pour les communs 50 % recette — référent·e : alice", seen)
    assert "Infrastructures CAE (Coopérative d'activités et d'emploi) 100 % existante" in seen
    # the week's changes, the digest's own lines
    assert "Services financiers pour les communs : idée → recette ▰▰▰▱▱ (alice) — la recette est sur le pad" in seen
    assert "réunion annulée : n°12 Réunion annulée — salle prise (camille)" in seen
    # dates are machine-readable
    assert '<time datetime="2026-12-03T18:00:00+01:00">' in r.text


async def test_english_on_request_or_by_configuration(board, make_board):
    seen = text_of((await board.get("/?lang=en")).text)
    assert "Next session Thursday 3 December 2026, 18:00 — MESHS" in seen
    assert "#8 Atelier briques — Friday 4 December 2026, 19:00–21:00 — MESHS confirmed 2 yes, 1 maybe" in seen
    assert "Tuesday 1 December 2026, 17:00–19:00 — nobody" in seen
    # the links of an English page stay in English
    assert 'href="/reunions/8?lang=en"' in (await board.get("/?lang=en")).text
    english = await make_board(language="en")
    assert "Next session" in text_of((await english.get("/")).text)
    assert "Prochaine séance" in text_of((await english.get("/?lang=fr")).text)


async def test_a_brick_has_its_page_with_description_links_lead_and_history(board):
    r = await board.get("/briques/2")
    seen = text_of(r.text)
    assert r.status == 200
    assert "Services financiers pour les communs" in seen and "Référent·e : alice" in seen
    assert "le pad" in seen
    assert '<a href="https://pad.example.org/finances" rel="nofollow noopener">le pad</a>' in r.text
    history = seen.split("Historique", 1)[1]
    assert history.index("référent·e") < history.index("lien") < history.index("statut (recette) : la recette est sur le pad")
    # followed from the board
    assert 'href="/briques/2"' in (await board.get("/")).text


async def test_only_web_addresses_are_ever_links(board):
    """A link that is not http(s) (written to the database by some other path: the command
    refuses them) shows as text, never as a link a click would run."""
    def add(db):
        with db.atomic():
            store = Store(db)
            store.add_link(2, "javascript:alert(3)", "cliquez", "mallory", board.chat.now)
            store.add_link(2, "data:text/html,<script>alert(4)</script>", None, "mallory", board.chat.now)
    add(board.chat.db)
    page = (await board.get("/briques/2")).text
    assert "javascript:" not in re.findall(r'href="([^"]*)"', page).__str__()
    assert "data:" not in re.findall(r'href="([^"]*)"', page).__str__()
    assert "cliquez (javascript:alert(3))" in text_of(page)
    assert re.findall(r"<a [^>]*>", page).count('<a href="https://pad.example.org/finances" rel="nofollow noopener">') == 1


async def test_a_meeting_has_its_page_with_who_comes(board):
    seen = text_of((await board.get("/reunions/8")).text)
    assert "n°8 Atelier briques" in seen and "vendredi 4 décembre 2026, 19:00–21:00" in seen
    assert "2 oui, 1 peut-être, 0 non" in seen
    assert "Viennent : alice, dominique" in seen and "Peut-être : bob" in seen
    cancelled = text_of((await board.get("/reunions/12")).text)
    assert "annulée — salle prise" in cancelled


async def test_members_text_is_shown_as_text(board):
    for path in ("/", "/reunions/10", "/?lang=en"):
        page = (await board.get(path)).text
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page and "<b>ici</b>" not in page, path
    page = (await board.get("/")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script" not in page and "onerror=" not in page.replace("onerror=alert(2)&gt;", "")


async def test_names_can_be_hidden(make_board):
    board = await make_board(show_names=False)
    for path in ("/", "/reunions/8", "/briques/2", "/calendrier.ics"):
        page = (await board.get(path)).text
        for name in ("alice", "bob", "camille", "dominique", "mallory"):
            assert name not in page, (path, name)
    assert "Viennent : 2 membres" in text_of((await board.get("/reunions/8")).text)
    assert "tenue par un·e membre" in text_of((await board.get("/")).text)


async def test_wrong_addresses_get_a_short_page_in_the_readers_language(board):
    for path in ("/briques/999", "/reunions/0", "/briques/99999999999999999999999999", "/nulle-part", "/briques/abc"):
        r = await board.get(path)
        assert r.status == 404 and "Rien à cette adresse." in text_of(r.text), path
    r = await board.get("/reunions/999?lang=en")
    assert r.status == 404 and "Nothing at this address." in text_of(r.text)
    async with board.session.post(board.url + "/", data="x") as posted:
        assert posted.status == 405
    assert (await board.get("/?lang=<script>")).status == 200  # an unknown language: the board's own


async def test_the_subscribe_links_point_at_the_feed(make_board):
    board = await make_board(base_url="https://chambre.example.org")
    page = (await board.get("/")).text
    assert '<a href="webcal://chambre.example.org/calendrier.ics" class="subscribe">S&#39;abonner</a>' in page
    assert 'href="https://chambre.example.org/calendrier.ics"' in page
    assert 'href="webcal://chambre.example.org/calendar.ics"' in (await board.get("/?lang=en")).text
    # without base_url, the address the reader used
    plain = await make_board()
    host = plain.url.split("://", 1)[1]
    assert f'href="webcal://{host}/calendrier.ics"' in (await plain.get("/")).text


async def test_a_private_board_needs_the_token_everywhere(make_board):
    board = await make_board(public=False, token=TOKEN)
    for path in ("/", "/briques/2", "/reunions/8", "/calendrier.ics", "/calendar.ics", "/export.json", "/healthz"):
        r = await board.get(path)
        assert r.status == 401 and "jeton" in text_of(r.text), path
        assert (await board.get(path + "?token=wrong-token-of-some-length")).status == 401
        assert (await board.get(path + f"?token={TOKEN}")).status == 200, path
        assert (await board.get(path, Authorization=f"Bearer {TOKEN}")).status == 200, path
    page = (await board.get(f"/?token={TOKEN}")).text
    # the page's own links keep the token, so the next click works; so do the feed's
    assert f'href="/reunions/8?token={TOKEN}"' in page
    assert f"/calendrier.ics?token={TOKEN}" in page


async def test_export_and_health_need_the_token_when_one_is_set(make_board):
    board = await make_board(token=TOKEN)
    assert (await board.get("/")).status == 200  # the board stays public
    assert (await board.get("/calendrier.ics")).status == 200
    for path in ("/export.json", "/healthz"):
        assert (await board.get(path)).status == 401
        assert (await board.get(path + f"?token={TOKEN}")).status == 200
    r = await board.get(f"/export.json?token={TOKEN}")
    import json

    assert json.loads(r.text) == export_json(board.chat.store, board.chat.config)
    # without a token, no export: it holds every name and every pledge, the anonymous ones too
    for web in ({"show_names": False}, {}):
        tokenless = await make_board(**web)
        tokenless.say("!mécénat engager 20 par mois ; anonyme", who="alice")
        r = await tokenless.get("/export.json")
        assert r.status == 403 and "jeton" in text_of(r.text) and "alice" not in r.text and "2000" not in r.text


async def test_the_agenda_ends_with_the_boards_and_the_feeds_addresses(make_board):
    board = await make_board(base_url="https://chambre.example.org")
    agenda = board.say("!agenda")
    assert agenda.rstrip().endswith("Le tableau : https://chambre.example.org/ — le calendrier à ajouter au vôtre : "
                                    "https://chambre.example.org/calendrier.ics")
    english = board.chat.say("!agenda", lang="en")
    assert english.rstrip().endswith("https://chambre.example.org/calendar.ics")
    html_agenda = board.chat.doc("!agenda").html()
    assert '<a href="https://chambre.example.org/">' in html_agenda
    # no address configured: nothing said
    plain = await make_board(lines=GROUP[:2])
    assert "tableau" not in plain.say("!agenda")
