"""Direct-message rooms: one per organiser, found again after a restart.

The list is the bot's `m.direct` account data (person -> rooms, newest first), which other
clients of the account read too; its copy in the bot's database (bot/backends/dm_rooms.py)
keeps a room made just before a crash that m.direct never heard of. This class is the one
place that changes the list: read at start, replaced by a sync, added to by an accepted
direct invite or a new room, and a room the person left taken out.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from nio import RoomPreset, RoomVisibility

from bot.backends.dm_rooms import DmRooms
from bot.backends.matrix.crypto import Crypto
from bot.backends.matrix.transport import MatrixError, Transport, api_path

log = logging.getLogger(__name__)


class DirectRooms:
    def __init__(self, transport: Transport, cache: DmRooms, user_id: Callable[[], str], crypto: Crypto) -> None:
        self.transport, self.cache, self._user_id, self.crypto = transport, cache, user_id, crypto
        self._direct: dict[str, list[str]] = {}  # m.direct: person -> DM room ids, the one in use first

    def rooms_with(self, person: str) -> list[str]:
        return list(self._direct.get(person, []))

    def is_direct(self, room: str) -> bool:
        """Whether `room` is a direct-message room of the bot's with someone."""
        return any(room in rooms for rooms in self._direct.values())

    def replace(self, content: dict[str, Any]) -> None:
        """m.direct as a sync or the account data has it."""
        self._direct = {
            person: [r for r in rooms if isinstance(r, str)]
            for person, rooms in content.items()
            if isinstance(rooms, list)
        }

    async def load(self) -> None:
        """At start: the account's m.direct, with the rooms only the database knows put back."""
        try:
            direct = (await self.transport.call(self.transport.client.list_direct_rooms())).rooms
        except MatrixError as e:
            if e.status != 404:
                raise
            direct = {}
        self.replace(direct if isinstance(direct, dict) else {})
        changed = False
        for person, room in (await self.cache.all()).items():
            if room not in self._direct.get(person, []):
                self._direct.setdefault(person, []).insert(0, room)
                changed = True
        if changed:
            await self._save()

    async def add(self, person: str, room: str) -> None:
        """`person` invited the bot to a direct room, which it joined."""
        rooms = self._direct.setdefault(person, [])
        if room not in rooms:
            rooms.insert(0, room)
            await self._save()

    async def forget(self, person: str, room: str) -> None:
        """The room refused a message (the person left): the next one makes a new room."""
        log.warning("matrix: DM room %s for %s refused a message; making a new one", room, person)
        self._direct[person] = [r for r in self._direct.get(person, []) if r != room]
        await self._save()

    async def room_for(self, person: str) -> str:
        """The DM room with `person`, made (and recorded) when there is none."""
        async with self.cache.lock(person):
            rooms = self._direct.get(person) or []
            if rooms:
                return rooms[0]
            r = await self.transport.call(self.transport.client.room_create(
                visibility=RoomVisibility.private,
                preset=RoomPreset.trusted_private_chat,
                is_direct=True,
                invite=[person],
                # Encrypted, as Element makes DMs: the reminders are read by the person alone.
                initial_state=[{"type": "m.room.encryption", "state_key": "",
                                "content": {"algorithm": "m.megolm.v1.aes-sha2"}}],
            ))
            room_id: str = r.room_id  # nio's RoomCreateResponse (nio has no type hints)
            log.info("matrix: created DM room %s for %s", room_id, person)
            self._direct[person] = [room_id]
            await self._save()
            # The first reminder is encrypted for the person's devices: nio must know the room
            # is encrypted and that the person is invited.
            await self.crypto.made(room_id, lambda room: room.encrypted and person in room.users)
            return room_id

    async def _save(self) -> None:
        await self.transport.json("PUT", api_path("user", self._user_id(), "account_data", "m.direct"),
                                  body=self._direct)
        await self.cache.replace({person: rooms[0] for person, rooms in self._direct.items() if rooms})
