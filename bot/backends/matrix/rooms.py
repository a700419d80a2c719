"""The rooms the bot is in: the configured ones joined at start, aliases resolved once, and
invites accepted only from the configured rooms, users and servers (`invites_from`)."""
from __future__ import annotations

import logging
from typing import Any, Callable

from bot.backends.matrix.direct import DirectRooms
from bot.backends.matrix.transport import MatrixError, Transport
from bot.config import MatrixConfig

log = logging.getLogger(__name__)


class Rooms:
    def __init__(self, transport: Transport, config: MatrixConfig, direct: DirectRooms,
                 user_id: Callable[[], str]) -> None:
        self.transport, self.config, self.direct, self._user_id = transport, config, direct, user_id
        self._aliases: dict[str, str] = {}  # alias -> room id
        self._configured_ids: set[str] = set()  # configured rooms, as room ids

    async def join_configured(self) -> None:
        client = self.transport.client
        for room in self.config.rooms:
            try:
                room_id = (await self.transport.call(client.join(room))).room_id
            except MatrixError as e:
                if e.rate_limited:
                    raise
                log.error("matrix: cannot join configured room %s: %s", room, e)
                if room.startswith("!"):
                    self._configured_ids.add(room)
                continue
            self._configured_ids.add(room_id)
            if room.startswith("#"):
                self._aliases[room] = room_id

    async def join(self, room_id: str) -> None:
        """Join (again) a room that refused a message: an announce room not joined yet."""
        await self.transport.call(self.transport.client.join(room_id))

    async def room_id(self, room: str) -> str:
        """A room id for a room id or an alias (resolved once, then cached)."""
        if not room.startswith("#"):
            return room
        if room not in self._aliases:
            self._aliases[room] = (await self.transport.call(self.transport.client.room_resolve_alias(room))).room_id
        return self._aliases[room]

    def aliases_of(self, room_id: str) -> list[str]:
        """The configured aliases that name this room."""
        return [alias for alias, rid in self._aliases.items() if rid == room_id]

    def invite_allowed(self, room_id: str, inviter: str | None, invite_state: list[dict[str, Any]]) -> bool:
        # The configured ids too: the first sync may come before join_configured is done.
        if room_id in self._configured_ids or room_id in self.config.rooms:
            return True
        configured_aliases = {r for r in self.config.rooms if r.startswith("#")}
        for ev in invite_state:
            if ev.get("type") == "m.room.canonical_alias":
                content = ev.get("content") or {}
                names = {content.get("alias")} | set(content.get("alt_aliases") or [])
                if names & configured_aliases:
                    return True
        if inviter is None:
            return False
        server = inviter.split(":", 1)[1] if ":" in inviter else ""
        allowed = set(self.config.invites_from)
        return inviter in allowed or server in allowed

    async def handle_invite(self, room_id: str, invite: dict[str, Any]) -> None:
        client = self.transport.client
        events = (invite.get("invite_state") or {}).get("events") or []
        mine = next(
            (e for e in events if e.get("type") == "m.room.member" and e.get("state_key") == self._user_id()),
            None,
        )
        inviter = mine.get("sender") if mine else None
        if not self.invite_allowed(room_id, inviter, events):
            log.info("matrix: declining invite to %s from %s", room_id, inviter)
            try:
                await self.transport.call(client.room_leave(room_id))
            except MatrixError as e:
                log.warning("matrix: could not decline invite to %s: %s", room_id, e)
            return
        log.info("matrix: accepting invite to %s from %s", room_id, inviter)
        try:
            await self.transport.call(client.join(room_id))
        except MatrixError as e:
            if e.rate_limited:
                raise
            log.warning("matrix: could not join %s: %s", room_id, e)
            return
        if mine and (mine.get("content") or {}).get("is_direct") and inviter:
            await self.direct.add(inviter, room_id)
