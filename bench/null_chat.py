"""A chat for the in-process benchmarks: it takes every send at once and gives the message an
id, as Matrix does, so that what is measured is the bot's own work."""
from __future__ import annotations

import asyncio

from bot.backends.base import Backend, Deliver, Outgoing


class NullChat(Backend):
    name = "matrix"

    def __init__(self) -> None:
        self.sent = 0
        self._stop = asyncio.Event()

    async def run(self, deliver: Deliver) -> None:
        await self._stop.wait()

    async def send(self, out: Outgoing) -> str | None:
        self.sent += 1
        return f"$sent{self.sent}"

    async def stop(self) -> None:
        self._stop.set()
