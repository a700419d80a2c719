"""A real headless Chromium for the board's tests and its screenshot: Debian's `chromium`,
driven by Playwright from PyPI (its own browser download cannot work here). Missing, the
browser tests skip and say why; tools/install-browser.sh (run by `make test`) installs it."""
from __future__ import annotations

import os
import shutil
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
ARGS = ["--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update"]


def chromium_path() -> str | None:
    given = os.environ.get("CHROMIUM_PATH")
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no Chromium on this machine (tools/install-browser.sh installs Debian's chromium with apt-get, as root)"
    if not FONT.exists():
        return "no DejaVu font: screenshots would come out blank (apt-get install fonts-dejavu-core)"
    return None


@asynccontextmanager
async def chromium() -> AsyncIterator["object"]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()
