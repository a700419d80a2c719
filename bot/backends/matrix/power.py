"""Who is an organiser by the room's own rules: power levels, and from room version 12 on the
room's creators, who outrank every power level.

What a sync says (the state of a room joined, a change of power levels) is noted here as it
comes; a room the bot has no state for yet (after a restart) is read on first need.
"""
from __future__ import annotations

import logging
from typing import Any

from bot.backends.matrix.transport import MatrixError, Transport, api_path

log = logging.getLogger(__name__)

# Room versions in which the creators outrank every power level (MSC4289, "hydra").
CREATORS_PRIVILEGED = {"12", "org.matrix.hydra.11"}
INFINITE = float("inf")


class PowerLevels:
    def __init__(self, transport: Transport, needed: int | None) -> None:
        self.transport = transport
        self.needed = needed  # organiser_power_level; None: no one is an organiser by power level
        self._power: dict[str, dict[str, Any]] = {}  # room id -> m.room.power_levels content
        self._create: dict[str, dict[str, Any]] = {}  # room id -> m.room.create event (sender + content)

    def note_state(self, room_id: str, ev: dict[str, Any]) -> None:
        """A state event from a sync."""
        if ev.get("state_key") != "":
            return
        if ev.get("type") == "m.room.power_levels":
            self._power[room_id] = ev.get("content") or {}
        elif ev.get("type") == "m.room.create":
            self._create[room_id] = {"content": ev.get("content") or {}, "sender": ev.get("sender")}

    def forget(self, room_id: str) -> None:
        """The bot left the room."""
        self._power.pop(room_id, None)
        self._create.pop(room_id, None)

    async def level(self, room_id: str, user_id: str) -> float:
        if room_id not in self._create:
            # The whole event, for its sender (the creator): see transport.py.
            try:
                ev = await self.transport.json("GET", api_path("rooms", room_id, "state", "m.room.create", ""),
                                               {"format": "event"})
            except MatrixError as e:
                if e.status != 404:
                    raise
                ev = {}
            self._create[room_id] = {"content": ev.get("content") or {}, "sender": ev.get("sender")}
        create = self._create[room_id]
        content = create.get("content") or {}
        if content.get("room_version", "1") in CREATORS_PRIVILEGED:
            creators = {create.get("sender")} | set(content.get("additional_creators") or [])
            if user_id in creators:
                return INFINITE
        if room_id not in self._power:
            try:
                r = await self.transport.call(
                    self.transport.client.room_get_state_event(room_id, "m.room.power_levels"))
                self._power[room_id] = r.content if isinstance(r.content, dict) else {}
            except MatrixError as e:
                if e.status != 404:
                    raise
                self._power[room_id] = {}
        levels = self._power[room_id]
        if not levels:
            return 100 if user_id == create.get("sender") else 0
        users = levels.get("users") or {}
        try:
            return float(users.get(user_id, levels.get("users_default", 0)))
        except (TypeError, ValueError):
            return 0

    async def is_organiser(self, room_id: str, user_id: str) -> bool:
        if self.needed is None:
            return False
        try:
            return await self.level(room_id, user_id) >= self.needed
        except MatrixError as e:
            log.warning("matrix: cannot read power levels of %s: %s", room_id, e)
            return False
