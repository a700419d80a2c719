"""What a handler knows about the command it answers: who, where, when, in which language."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.richtext import Doc
from storage.store import Store


@dataclass
class Context:
    store: Store
    config: Config
    now: datetime  # aware, UTC: the reference instant for dates the member typed
    lang: str
    sender: str
    room: str
    backend: str
    is_organiser: bool
    event_id: str = ""
    thread: str | None = None  # the thread the command was typed in
    direct: bool = False  # typed in a direct message with the bot: the reply is private already
    # Messages for the sender alone, sent by direct message with the reply (a member's own
    # pledge amount is never said in a room).
    private: list[Doc] = field(default_factory=list)
    listen_mode: str = "record"  # what listening does in this room (bot.services.listening.MODES)
    # A reply that is a date poll's own message (`poll_message`: its number) or its end: the
    # native poll a chat shows for it (bot/backends/base.py `Outgoing.poll`).
    reply_poll: dict[str, Any] | None = None
    poll_message: int | None = None
    # Posts to another room than the command's, each once: (name, backend, room, body, poll).
    posts: list[tuple[str, str, str, Doc, dict[str, Any] | None]] = field(default_factory=list)
    # What the dispatcher made of the line, for the operator's log (never the member's text):
    # the command's English name ("meeting propose"), and done, refused, unknown or failed.
    command: str = ""
    outcome: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return self.config.chambre.tz

    @property
    def prefix(self) -> str:
        return self.config.chambre.prefix

    def t(self, fr: str, en: str, **values: object) -> str:
        return (en if self.lang == "en" else fr).format(**values)
