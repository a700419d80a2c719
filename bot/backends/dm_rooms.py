"""Which room is the direct-message room with each person, for every chat: one map kept in
the backend's BackendState (key `dm_rooms`, JSON person -> room), and one lock per person, so
that two reminders to someone new make one room, not two.

Rocket.Chat finds its DM rooms here alone; Matrix keeps its own list in the account's
`m.direct` too (bot/backends/matrix/direct.py) and this map is its copy in the database, for
a room made just before a crash that m.direct never heard of.
"""
from __future__ import annotations

import asyncio
import json
from typing import Awaitable, Callable

from bot.backends.base import BackendState

KEY = "dm_rooms"


class DmRooms:
    def __init__(self, state: BackendState) -> None:
        self.state = state
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, person: str) -> asyncio.Lock:
        """Held while the room with `person` is looked up or made."""
        return self._locks.setdefault(person, asyncio.Lock())

    async def all(self) -> dict[str, str]:
        raw = await self.state.get(KEY)
        try:
            kept = json.loads(raw) if raw else {}
        except ValueError:
            kept = {}
        return {p: r for p, r in kept.items() if isinstance(p, str) and isinstance(r, str)} if isinstance(kept, dict) else {}

    async def get(self, person: str) -> str | None:
        return (await self.all()).get(person)

    async def replace(self, rooms: dict[str, str]) -> None:
        await self.state.set(KEY, json.dumps(rooms, sort_keys=True))

    async def put(self, person: str, room: str) -> None:
        rooms = await self.all()
        if rooms.get(person) != room:
            rooms[person] = room
            await self.replace(rooms)

    async def room_for(self, person: str, make: Callable[[str], Awaitable[str]]) -> str:
        """The DM room with `person`: the one kept, else `make(person)`'s, then kept."""
        async with self.lock(person):
            room = await self.get(person)
            if room is None:
                room = await make(person)
                await self.put(person, room)
            return room
