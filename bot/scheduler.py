"""Placeholder replaced by the scheduler work (issue 6)."""
from __future__ import annotations

import asyncio


class Scheduler:
    def __init__(self, app) -> None:
        self.app = app
        self._stop = asyncio.Event()

    async def run(self) -> None:
        await self._stop.wait()

    async def catch_up(self) -> None:
        return None

    def wake(self) -> None:
        pass

    def stop(self) -> None:
        self._stop.set()
