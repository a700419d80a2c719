"""Who speaks in a room while a session is open there is present at it (issue 13).

One small consumer of the messages that are not commands, kept apart from any other the App
feeds (listening, for one): it only reads, unless a session is open in that room."""
from __future__ import annotations

from bot.backends.base import Incoming
from bot.services import sessions as session_svc
from storage.db import ChambreDatabase, DatabaseThread
from storage.store import Store


async def note_speaker(db: DatabaseThread, msg: Incoming) -> None:
    def note(d: ChambreDatabase) -> None:
        store = Store(d)
        # Nearly every message: no session open here, a plain read and no write lock.
        if msg.is_direct or session_svc.open_in(store, msg.backend, msg.room) is None:
            return
        with d.atomic():
            session_svc.heard(store, msg.backend, msg.room, msg.sender, msg.sent_at)

    await db.run(note)
