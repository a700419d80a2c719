"""The README's picture of the board (`make screenshot`): a demo database filled through the
commands, the board served over it, and a headless Chromium's screenshot of it.

    .venv/bin/python tools/screenshot.py docs/board.png [--width 900] [--height 1500]

Needs what the browser tests need (tools/install-browser.sh).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import ManualClock  # noqa: E402
from bot.config import Config, WebConfig  # noqa: E402
from bot.web import WebServer  # noqa: E402
from commands.context import Context  # noqa: E402
from commands.dispatcher import dispatch  # noqa: E402
from storage.db import DatabaseThread, connect  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.web.browser import chromium, missing  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

# (days after NOW, who, organiser, command): a fortnight of the group's life.
DEMO = [
    (-9, "camille", True, "!rythme régler un jeudi sur deux à 18h30-20h30 à partir du 3 décembre ; MESHS, salle 2"),
    (-8, "alice", False, "!odj ajouter Salle pour les ateliers de janvier"),
    (-7, "dominique", False, "!odj ajouter Bilan de la permanence au tiers-lieu"),
    (-7, "bob", False, "!réunion proposer vendredi 4 décembre 19h-21h ; Atelier briques : la cantine ; MESHS"),
    (-6, "camille", True, "!réunion confirmer 1"),
    (-6, "alice", False, "!réunion participe 1"),
    (-5, "dominique", False, "!réunion participe 1"),
    (-5, "eve", False, "!réunion participe 1 peut-être"),
    (-5, "alice", False, "!réunion proposer mercredi 9 décembre 12h-14h ; Déjeuner avec la CAE ; Tiers-lieu Saint-Sauveur"),
    (-4, "bob", False, "!réunion proposer ? ; Visite de la monnaie locale"),
    (-4, "camille", True, "!permanence ajouter tous les mardis 17h-19h ; Permanence des communs ; Tiers-lieu Saint-Sauveur"),
    (-3, "dominique", False, "!permanence tenir 1 ; 1/12"),
    (-3, "camille", True, "!permanence annuler 1 ; 22/12"),
    (-3, "eve", False, "!permanence ajouter le premier samedi du mois 10h-12h ; Café juridique ; Maison des associations"),
    (-2, "alice", False, "!brique statut 2 ; recette ; la recette est sur le pad"),
    (-2, "alice", False, "!brique lien 2 ; https://pad.example.org/finances ; le pad"),
    (-2, "alice", False, "!brique référent 2 ; alice"),
    (-1, "bob", False, "!brique statut 6 ; existante ; première entreprise en marque ouverte à Lille"),
    (-1, "eve", False, "!brique ajouter Cantine des communs ; Une cantine partagée entre collectifs"),
    (0, "dominique", False, "!réunion participe 2"),
]


def fill(path: Path) -> None:
    db = connect(path)
    store = Store(db)
    config = Config()
    try:
        for k, (days, who, organiser, line) in enumerate(DEMO):
            ctx = Context(store=store, config=config, now=NOW + timedelta(days=days, minutes=k), lang="fr", sender=who,
                          room="!chambre:example.org", backend="matrix", is_organiser=organiser, event_id=f"demo{k}")
            with db.atomic():
                reply = dispatch(ctx, line)
            if reply is None or reply.plain().startswith(("Désolé", "Refusé", "Usage")):
                raise SystemExit(f"the demo's command failed: {line}\n{reply.plain() if reply else ''}")
    finally:
        db.close()


async def shoot(out: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.db"
        fill(path)
        config = Config(web=WebConfig(listen="127.0.0.1:0", base_url="https://chambre.example.org"))
        db = DatabaseThread(path)
        server = WebServer(config, db, ManualClock(NOW))
        await server.start()
        try:
            async with chromium() as browser:
                page = await browser.new_page(viewport={"width": width, "height": height})
                await page.goto(server.url + "/")
                await page.screenshot(path=str(out), full_page=False)
        finally:
            await server.stop()
            db.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--width", type=int, default=900)
    ap.add_argument("--height", type=int, default=1500)
    args = ap.parse_args()
    why = missing()
    if why:
        print(f"screenshot: {why}", file=sys.stderr)
        return 1
    asyncio.run(shoot(args.out, args.width, args.height))
    print(f"screenshot: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
