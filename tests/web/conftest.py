"""The web board on port 0 over a database the commands filled, and a client for it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.config import Config, WebConfig
from bot.web import WebServer
from storage.db import DatabaseThread
from tests.core.conftest import Chat

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Lille
TOKEN = "s3cret-token-for-tests"

# The group as the commands make it: a rhythm, topics (one hostile), meetings proposed,
# confirmed, answered, moved, cancelled and still to organise, a permanence held on one date
# and not on the others, a brick moved along its path with a link.
GROUP = [
    ("camille", "!rythme régler un jeudi sur deux à 18h à partir du 3 décembre ; MESHS"),
    ("alice", "!odj ajouter Salle pour janvier"),
    ("mallory", "!odj ajouter <script>alert(1)</script>"),
    ("alice", "!réunion proposer vendredi 4 décembre 19h-21h ; Atelier briques ; MESHS"),
    ("camille", "!réunion confirmer 8"),
    ("alice", "!réunion participe 8"),
    ("bob", "!réunion participe 8 peut-être"),
    ("dominique", "!réunion participe 8"),
    ("bob", "!réunion proposer mercredi 9 décembre 18h ; Café des communs ; Tiers-lieu"),
    ("mallory", "!réunion proposer jeudi 10 décembre 12h ; <img src=x onerror=alert(2)> ; <b>ici</b>"),
    ("alice", "!réunion proposer ? ; Visite de la CAE"),
    ("alice", "!réunion proposer lundi 14 décembre 18h ; Réunion annulée ; MESHS"),
    ("camille", "!réunion annuler 12 ; salle prise"),
    ("alice", "!permanence ajouter tous les mardis 17h-19h ; Permanence des communs ; Tiers-lieu"),
    ("bob", "!permanence tenir 1 ; 8/12"),
    ("camille", "!permanence annuler 1 ; 15/12"),
    ("alice", "!brique statut 2 ; recette ; la recette est sur le pad"),
    ("alice", "!brique lien 2 ; https://pad.example.org/finances ; le pad"),
    ("alice", "!brique référent 2 ; alice"),
]


def fill(chat: Chat, lines=GROUP) -> None:
    for who, line in lines:
        reply = chat.say(line, sender=who, organiser=who == "camille")
        assert reply and not reply.startswith(("Désolé", "Refusé", "Je n'ai pas", "Usage")), (line, reply)


@dataclass
class Response:
    status: int
    headers: Any
    text: str


class Board:
    """A WebServer on 127.0.0.1:0 and the database it reads, changed through the commands."""

    def __init__(self, chat: Chat, server: WebServer, db: DatabaseThread) -> None:
        self.chat, self.server, self.db = chat, server, db
        self.session = aiohttp.ClientSession()

    @property
    def url(self) -> str:
        return self.server.url

    async def get(self, path: str, **headers: str) -> Response:
        async with self.session.get(self.url + path, headers=headers, allow_redirects=False) as r:
            return Response(r.status, r.headers, await r.text())

    def say(self, line: str, who: str = "camille") -> str:
        return self.chat.say(line, sender=who, organiser=who == "camille")

    async def close(self) -> None:
        await self.session.close()
        await self.server.stop()
        self.db.close()


@pytest.fixture
async def make_board(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """make_board(lines=GROUP, **web) -> Board, started; [web] keys as keyword arguments."""
    made: list[Board] = []
    chats: list[Chat] = []

    async def make(lines=GROUP, config: Config | None = None, app: Any = None, **web: Any) -> Board:
        path = tmp_path / f"board{len(chats)}.db"
        config = config or Config(web=WebConfig(listen="127.0.0.1:0", **web))
        chat = Chat(path, config)
        chats.append(chat)
        fill(chat, lines)
        db = DatabaseThread(path)
        server = WebServer(config, db, ManualClock(chat.now), app=app)
        await server.start()
        board = Board(chat, server, db)
        made.append(board)
        return board

    yield make
    for board in made:
        await board.close()
    for chat in chats:
        chat.close()


@pytest.fixture
async def board(make_board) -> Board:
    return await make_board()
