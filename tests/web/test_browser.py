"""The board in a real headless Chromium, as a person sees it: the next session, a
meeting's answers, a brick's progress, "personne" on an unheld permanence; links followed;
the same without JavaScript; hostile text that runs nothing; a screenshot that is not blank."""
from __future__ import annotations

import io

import pytest

from tests.web.browser import chromium, missing

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


async def follow(page, name: str) -> None:
    """Click the link named `name` and wait for the page it leads to."""
    async with page.expect_navigation(wait_until="load"):
        await page.get_by_role("link", name=name).click()


@pytest.fixture
async def browser():
    async with chromium() as b:
        yield b


async def test_a_person_reads_the_board_and_follows_its_links(board, browser, tmp_path):
    page = await browser.new_page(viewport={"width": 1000, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    await page.goto(board.url + "/", wait_until="load")

    session = page.locator("section", has=page.get_by_role("heading", name="Prochaine séance"))
    assert "jeudi 3 décembre 2026, 18:00" in await session.inner_text()
    assert await session.locator("time").get_attribute("datetime") == "2026-12-03T18:00:00+01:00"
    meeting = page.get_by_role("listitem").filter(has_text="Atelier briques").first
    assert "2 oui, 1 peut-être" in await meeting.inner_text()
    brick = page.locator("ul.bricks li").filter(has_text="Services financiers pour les communs")
    assert await brick.locator("progress").get_attribute("value") == "50"
    assert "recette" in await brick.inner_text()
    permanence = page.get_by_role("listitem").filter(has_text="mardi 1er décembre 2026")
    assert (await permanence.locator(".nobody").inner_text()) == "personne"

    # hostile text is shown as typed, and runs nothing: no dialog, no element it could inject
    assert await page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1
    assert await page.evaluate("document.scripts.length") == 0
    assert await page.locator("img").count() == 0 and await page.locator("main b").count() == 0
    assert dialogs == []

    # links lead to the meeting's and the brick's pages, and back
    await follow(page, "n°8 Atelier briques")
    assert page.url == board.url + "/reunions/8"
    assert await page.get_by_role("heading", level=1).inner_text() == "n°8 Atelier briques"
    assert "Viennent : alice, dominique" in await page.locator("main").inner_text()
    await follow(page, "le tableau")
    await follow(page, "Services financiers pour les communs")
    assert page.url == board.url + "/briques/2"
    pad = page.get_by_role("link", name="le pad")
    assert await pad.get_attribute("rel") == "nofollow noopener"
    await page.goto(board.url + "/reunions/10")
    assert await page.evaluate("document.scripts.length") == 0 and dialogs == []

    # the screenshot shows the page: text drawn in ink, not a blank page
    await page.goto(board.url + "/")
    path = tmp_path / "board.png"
    await page.screenshot(path=str(path), full_page=True)
    from PIL import Image

    image = Image.open(io.BytesIO(path.read_bytes())).convert("L")
    histogram = image.histogram()
    ink = sum(histogram[:100])  # dark pixels: the letters
    assert image.size[0] == 1000 and ink > 5000, f"{ink} dark pixels: blank screenshot (fonts missing?)"
    assert len([n for n in histogram if n]) > 50


async def test_the_board_works_without_javascript_and_on_a_phone(board, browser):
    context = await browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = await context.new_page()
    await page.goto(board.url + "/")
    assert "Prochaine séance" in await page.get_by_role("heading", level=2).first.inner_text()
    assert "2 oui, 1 peut-être" in await page.locator("main").inner_text()
    # nothing wider than the phone's screen
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await follow(page, "English")
    assert page.url == board.url + "/?lang=en"
    assert "Next session" in await page.locator("main").inner_text()
    await follow(page, "#8 Atelier briques")
    assert page.url == board.url + "/reunions/8?lang=en"
    assert "2 yes, 1 maybe, 0 no" in await page.locator("main").inner_text()
    await context.close()
