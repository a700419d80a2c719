"""The console: a real backend with one local room, for a terminal or a pipe.

Interactive in a terminal (a prompt, a banner); line by line on a pipe. Each line is
answered, and the posts that fall due meanwhile are shown, before the next line is read, so
a piped session reads like a conversation. `/avance 3 jours` (`/advance 3 days`) moves the
console's clock forward and shows the posts due in between, in order.

The terminal stands for every room of the group: it serves every configured room and every
organiser's direct messages, and its own user is an organiser unless `--member`. A line that
is not a command is a room message, which listening reads like any other: the bot's
reaction shows as `[📅]`, a reply in the message's thread starts with `↳`.
"""
from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from datetime import timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.backends.base import Backend, Deliver, Incoming, Outgoing
from bot.clock import Clock, ManualClock

ROOM = "console"
ADVANCE_WORDS = ("/avance", "/advance")


class ConsoleBackend(Backend):
    name = "console"

    def __init__(self, user: str, clock: Clock, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 is_organiser: bool = True, lang: str = "fr", tz: ZoneInfo | str = "Europe/Paris") -> None:
        self.user = user
        self.clock = clock
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.is_organiser = is_organiser
        self.lang = lang
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)  # the wall clock /avance counts days on
        self._stopped = asyncio.Event()
        self._session = uuid.uuid4().hex[:8]
        self.replies_to = f"console-{self._session}-"
        self._counter = itertools.count(1)

    @property
    def interactive(self) -> bool:
        return hasattr(self.stdin, "isatty") and self.stdin.isatty()

    def _say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def _read_line(self) -> str | None:
        if self.interactive:
            self.stdout.write("> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\n")

    async def run(self, deliver: Deliver) -> None:
        if self.interactive:
            self._say(self._t("Chambre des Communs — console. Tapez !aide pour les commandes, Ctrl-D pour sortir.",
                              "Chambre des Communs — console. Type !help for the commands, Ctrl-D to leave."))
        if self.settle:
            await self.settle()
        while not self._stopped.is_set():
            line = await self._read_line()
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if not _is_text(line):
                self._say(self._t("Ligne ignorée : ce n'est pas du texte UTF-8.", "Line ignored: it is not UTF-8 text."))
                continue
            if text.split()[0].lower() in ADVANCE_WORDS:
                self._advance(text)
            else:
                await deliver(Incoming(
                    backend=self.name, room=ROOM, sender=self.user, text=line,
                    event_id=f"{self.replies_to}{next(self._counter)}", sent_at=self.clock.now(),
                    sender_is_organiser=self.is_organiser,
                ))
            if self.settle:
                await self.settle()

    def _advance(self, text: str) -> None:
        from bot.when import WhenError, add_duration, format_instant

        rest = text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else ""
        if not isinstance(self.clock, ManualClock):
            self._say(self._t("L'horloge ne se déplace qu'avec --now : chambre-bot console --now 2026-12-01T09:00",
                              "The clock only moves with --now: chambre-bot console --now 2026-12-01T09:00"))
            return
        now = self.clock.now()
        try:
            # a day is a day on the wall clock: 09:00 stays 09:00 across a change of summer time
            then = add_duration(now, rest, self.tz)
        except WhenError as err:
            self._say(self._t("Usage : /avance 3 jours (ou 2 heures, 30 minutes). ", "Usage: /advance 3 days (or 2 hours, 30 minutes). ")
                      + err.explain(self.lang).splitlines()[0])
            return
        if then <= now or then - now > timedelta(days=366):
            self._say(self._t("Avancez d'une durée entre une minute et un an.", "Advance by a duration between a minute and a year."))
            return
        self.clock.set(then)
        self._say(self._t("Horloge : ", "Clock: ") + format_instant(then, self.lang, self.tz))

    def _t(self, fr: str, en: str) -> str:
        return en if self.lang == "en" else fr

    async def send(self, out: Outgoing) -> None:
        if out.reaction is not None:  # on the line just typed (or the one it names)
            self._say(f"[{out.reaction}]")
            return
        text = out.body.plain()
        if out.thread is not None:  # the message's thread: set off from the room's own lines
            text = "↳ " + text.replace("\n", "\n  ")
        if out.dm_user is not None:
            text = self._t(f"[message privé pour {out.dm_user}]\n", f"[direct message to {out.dm_user}]\n") + text
        self._say(text)
        self._say("")

    async def stop(self) -> None:
        self._stopped.set()

    def serves(self, target: str) -> str | None:
        return ROOM

    def dm_user(self, person: str) -> str | None:
        return person

    def default_rooms(self) -> list[str]:
        return [ROOM]

    def organisers(self) -> list[str]:
        return [self.user] if self.is_organiser and self.user else []


def _is_text(line: str) -> bool:
    """False for a line read from bytes that are not UTF-8 (decoded with surrogateescape)."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
