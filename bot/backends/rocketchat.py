"""The Rocket.Chat backend: REST for every action, the DDP socket only to hear messages.

What it relies on in the server is docs/rocketchat-protocol.md. How a message reaches the
core exactly once:
- One subscription, `stream-room-messages` / `__my_messages__`, hears every room the bot
  can read. Events from public channels the bot has not joined (`roomParticipant` false),
  the bot's own messages (`u._id`), system messages (`t`) and rooms the bot does not listen
  in are dropped.
- The server re-sends the whole document on every change (edit, reaction, thread counter,
  URL preview, read flag). A `seen` store tells a new message from an update; an unseen
  message older than the room's floor (its high-water mark, minus some slack) is an update
  of something handled before a restart, not a command. What an update changed is told by
  comparing with what was seen (base.py's events): a new `editedAt` is an EDIT; a reaction
  name and username new or gone is a REACTION or the REMOVAL of one (reactions on the bot's
  own messages too); `t: "rm"` (a soft delete) is a REMOVAL. A hard delete comes on
  `stream-notify-room` `<rid>/deleteMessage` (one subscription per room listened in) and,
  after a reconnect, in `chat.syncMessages`' `deleted`. After a restart the reactions a
  message carried before are not known: those it carries are delivered again (the core
  knows them), and one taken back meanwhile is not heard.
- The server never replays what was said while the socket was down. After each (re)connect
  the bot logs in, subscribes, and only then catches up per room with
  `chat.syncMessages?lastUpdate=<high-water - overlap>`, through the same classifier.
- The per-room high-water mark (max `_updatedAt` handled) moves only after
  `await deliver(msg)` returned, and is stored once per batch (a live event, a room's
  catch-up): a crash inside a catch-up delivers again what the core then finds already
  handled. The marks, the overlap and the seen store are bot/backends/rocketchat_cursor.py.
- Reconnects wait the shared backoff on the bot's clock (bot/backoff.py); a send failure is
  Refused or RetryLater (base.py), so the outbox's one delivery policy applies.

Servers 6.0 to 8.x differ (docs/rocketchat.md): the version is read from /api/info at each
connection, and what cannot be known from it (a stream event without its room argument, role
changes a server hides) is asked of the server itself.
"""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp

from bot.backends.base import (EDIT, REACTION, REACTIONS, REMOVAL, Backend, BackendState, BackendStatus, CommandAge,
                               Deliver, Incoming, Outgoing, Refused, RetryLater)
from bot.backends.dm_rooms import DmRooms
from bot.backends.rocketchat_cursor import Cursor, Reactions
from bot.backends.rocketchat_ddp import DdpClosed, DdpConnection, DdpMethodError, ws_url
from bot.backends.rocketchat_rest import (
    RestClient,
    RocketChatApiError,
    RocketChatAuthError,
    RocketChatError,
    RocketChatNotReached,
    RocketChatNotRocketChat,
    RocketChatTransient,
    iso,
    parse_date,
    parse_version,
)
from bot.backoff import Backoff
from bot.clock import Clock
from bot.config import RocketChatConfig

__all__ = ["RocketChatBackend", "RocketChatAuthError", "RocketChatError", "RocketChatNotReached"]

log = logging.getLogger(__name__)

STREAM = "stream-room-messages"
MY_MESSAGES = "__my_messages__"
NOTIFY_ROOM = "stream-notify-room"  # "<rid>/deleteMessage": hard deletes
# Emoji as Rocket.Chat names them (`chat.react` takes names, and refuses one it does not
# know); the core speaks in characters. A reaction of any other name reaches the core as
# ":name:". ("date" is 📅 in the emoji set Rocket.Chat ships; "calendar" is 📆.)
EMOJI_NAMES = {
    "📅": "date", "✅": "white_check_mark", "👍": "thumbsup", "👎": "thumbsdown", "❤️": "heart",
    "🎉": "tada", "👀": "eyes", "❌": "x", "😄": "smile", "👋": "wave",
    # A date poll's options (bot/services/polls.py KEYCAPS), as Rocket.Chat's emoji set names them.
    "1️⃣": "one", "2️⃣": "two", "3️⃣": "three", "4️⃣": "four", "5️⃣": "five", "6️⃣": "six", "7️⃣": "seven",
    "8️⃣": "eight", "9️⃣": "nine", "🔟": "keycap_ten",
}
EMOJI_OF_NAME = {name: emoji for emoji, name in EMOJI_NAMES.items()}
TWO_FACTOR_HINT = (
    "if the account has two-factor authentication (Rocket.Chat 8.0+ refuses it without saying so), "
    "use a personal access token created with 'Ignore Two Factor Authentication' instead of a password"
)
ROLE_CHANGES = {"subscription-role-added", "subscription-role-removed"}
LEFT = {"ru", "ul"}  # removed from a room, left it: `msg` is the username
PREVIEW_URLS_SINCE = (6, 4)  # chat.sendMessage refuses any key but `message` before 6.4


def refuses_preview_urls(exc: RocketChatApiError) -> bool:
    """A 400 `invalid-params` about a key the request schema does not allow. The server's
    text is ajv's ("must NOT have additional properties"), which does not name the key; but
    the top level of the bot's request holds `message`, which is required, and previewUrls,
    so a refused extra key is previewUrls. A text naming previewUrls says so outright."""
    if exc.status != 400 or "invalid-params" not in (exc.error_type, exc.error.rsplit("[", 1)[-1].rstrip("]")):
        return False
    text = exc.error + " " + json.dumps(exc.body.get("details") or "")
    return "previewUrls" in text or "additional propert" in text.lower()
# The server's `Message_MaxAllowedSize` (a public setting) until it says otherwise.
DEFAULT_MESSAGE_LENGTH = 5000
MESSAGE_SIZE_SETTING = "Message_MaxAllowedSize"


def js_length(text: str) -> int:
    """A text's length as the server counts it (JavaScript's: UTF-16 code units, so an emoji
    outside the first plane counts two)."""
    return len(text.encode("utf-16-le")) // 2


class RocketChatBackend(Backend):
    name = "rocketchat"
    # No native polls: a date poll is its message with the bot's 1️⃣ 2️⃣ … on it, and members'
    # reactions on it are their answers (base.py).
    polls_by_reaction = True

    def __init__(
        self,
        config: RocketChatConfig,
        state: BackendState,
        clock: Clock | None = None,
        *,
        ping_interval: float = 25.0,
        pong_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        stable_after: float = 10.0,
        catchup_overlap: timedelta = timedelta(seconds=5),
        roles_ttl: float = 600.0,
        roles_refresh_after: float = 60.0,
        first_contact_timeout: float = 30.0,
        http_timeout: float = 30.0,
        rate_limit_min_wait: float = 1.0,
        server_retry_delay: float = 5.0,
    ) -> None:
        self.config = config
        self.state = state
        self.clock = clock or Clock()
        self.url: str = config.url
        self.username = config.username
        self.password = config.password
        self.pat_user_id = config.user_id
        self.pat_token = config.token  # the config loader reads CHAMBRE_ROCKETCHAT_TOKEN
        self.channels: set[str] = {c.lstrip("#") for c in config.channels}
        self.organiser_roles: set[str] = set(config.organiser_roles)
        self.age = CommandAge(self.name, config.max_command_age, self.clock)
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.connect_timeout = connect_timeout
        self.backoff = Backoff(first=backoff_base, maximum=backoff_max)
        self.stable_after = timedelta(seconds=stable_after)
        self.first_contact_timeout = first_contact_timeout  # then a first start gives up (a wrong URL)
        self.roles_ttl = timedelta(seconds=roles_ttl)
        # Before a refusal, roles older than this are read again (Hide_System_Messages hides
        # the role changes that clear the cache).
        self.recheck_after = timedelta(seconds=roles_refresh_after)

        self.rest = RestClient(
            self.url, self.clock, timeout=http_timeout, rate_limit_min_wait=rate_limit_min_wait,
            server_retry_delay=server_retry_delay,
        )
        self.rest.reauth = self._reauth
        self.self_id: str | None = None
        self.self_username: str | None = None
        self._auth_lock = asyncio.Lock()
        self._authenticated = False
        self._stopping = asyncio.Event()
        self._conn: DdpConnection | None = None
        self.cursor = Cursor(state, catchup_overlap)
        self.dm_rooms = DmRooms(state)
        self._rooms: dict[str, dict[str, Any]] = {}  # rid -> subscription (t, name)
        self._room_ids: dict[str, str] = {}  # channel name -> rid
        self._roles: dict[str, tuple[datetime, dict[str, set[str]]]] = {}  # rid -> (read at, username -> roles)
        self._rooms_roles_missing = False  # server older than 7.10: no rooms.roles
        self._not_mine: dict[str, datetime] = {}  # rid -> when the subscriptions last said "not the bot's room"
        self._deliver: Deliver | None = None
        self.server_version: tuple[int, ...] | None = None  # from /api/info, read at each connection
        self._preview_urls: bool | None = None  # send previewUrls? None: /api/info not read yet
        self._running = False
        self._answered = False  # something at self.url answered as Rocket.Chat, in this process
        self._info_failure: str | None = None  # why /api/info did not look like Rocket.Chat
        self.max_message_length = DEFAULT_MESSAGE_LENGTH
        self._message_length_read = False  # read at the first send, and again after a refusal
        self._message_length_refused = False  # since a refusal, a reading may only lower it
        self.connects = 0  # sessions that reached the live state, for tests and logs
        self.live = False  # caught up, and hearing the stream: what comes now comes in order
        self._heard_at: datetime | None = None  # the last stream event (status())

    # ---- what it serves -----------------------------------------------------------------

    def serves(self, target: str) -> str | None:
        """`rocketchat:<channel>` names a channel (or a room id) of this chat."""
        prefix, _, room = target.partition(":")
        return room if prefix == self.name and room else None

    def dm_user(self, person: str) -> str | None:
        """`rocketchat:<username>`, or a bare username: a name with no chat prefix is a
        Rocket.Chat one (usernames hold no colon)."""
        prefix, colon, user = person.partition(":")
        if not colon:
            return person or None
        return user if prefix == self.name and user else None

    def default_rooms(self) -> list[str]:
        return [f"{self.name}:{channel}" for channel in self.config.channels]

    def names(self, room: str) -> list[str]:
        """A room id is `rocketchat:<channel>` in the configuration."""
        name = (self._rooms.get(room) or {}).get("name")
        return [f"{self.name}:{name}"] if name else []

    def link(self, room: str, event_id: str) -> str | None:
        """The message's permalink, as the web client's "Copy link" gives it."""
        info = self._rooms.get(room) or {}
        if not info.get("name") or info.get("t") == "d":
            return None
        kind = "group" if info.get("t") == "p" else "channel"
        return f"{self.url}/{kind}/{info['name']}?msg={event_id}"

    # ---- auth -------------------------------------------------------------------------

    async def _authenticate(self) -> None:
        """Find working REST credentials: the stored token, the configured PAT, or a password login."""
        async with self._auth_lock:
            if self._authenticated:
                return
            candidates: list[tuple[str, str]] = []
            if self.pat_user_id and self.pat_token:
                candidates.append((self.pat_user_id, self.pat_token))
            stored_uid, stored_token = await self.state.get("user_id"), await self.state.get("auth_token")
            if self.password and stored_uid and stored_token:
                candidates.append((stored_uid, stored_token))
            for uid, token in candidates:
                self.rest.set_credentials(uid, token)
                try:
                    await self._load_me()
                    self._authenticated = True
                    return
                except RocketChatAuthError:
                    log.warning("rocketchat: a saved token was refused")
                except RocketChatApiError as exc:
                    if exc.status not in (401, 403):
                        raise
            if not self.password:
                raise RocketChatAuthError(
                    "Rocket.Chat refused the configured token and no password is configured: "
                    "create a new personal access token (rocketchat.token / CHAMBRE_ROCKETCHAT_TOKEN)"
                )
            await self._password_login()
            await self._load_me()
            self._authenticated = True

    async def _load_me(self) -> None:
        # Call without the reauth hook: a 401 here must surface, not recurse.
        hook, self.rest.reauth = self.rest.reauth, None
        try:
            me = await self.rest.call("GET", "me")
        finally:
            self.rest.reauth = hook
        self.self_id = me["_id"]
        self.self_username = me.get("username")

    async def _password_login(self) -> None:
        if not (self.username and self.password):
            raise RocketChatAuthError("Rocket.Chat: no username/password configured to log in again")
        try:
            body = await self.rest.call(
                "POST", "login", json={"user": self.username, "password": self.password}, auth=False
            )
        except RocketChatApiError as exc:
            if exc.error_type == "totp-required" or "totp" in exc.error:
                raise RocketChatAuthError(
                    "Rocket.Chat asks for a two-factor code: use a personal access token created "
                    "with 'Ignore Two Factor Authentication' instead of a password"
                ) from exc
            if exc.status in (401, 403):
                # From 8.0 every refused login is a bare `unauthorized`, a two-factor one included:
                # the hint goes with any refusal, since the server no longer tells them apart.
                raise RocketChatAuthError(f"Rocket.Chat refused the password of {self.username}; {TWO_FACTOR_HINT}") from exc
            raise
        data = body.get("data") or {}
        uid, token = data.get("userId"), data.get("authToken")
        if not (uid and token):
            raise RocketChatError(f"unexpected login answer: {sorted(body)}")
        self.rest.set_credentials(uid, token)
        await self.state.set("user_id", uid)
        await self.state.set("auth_token", token)
        log.info("rocketchat: logged in as %s with the password", self.username)

    async def _reauth(self, refused_token: str | None) -> None:
        """REST said 401: the token was revoked or expired. Log in again once, or stop."""
        async with self._auth_lock:
            if refused_token is not None and self.rest.token != refused_token:
                return  # someone else already logged in again
            self._authenticated = False
            if not self.password:
                raise RocketChatAuthError(
                    "Rocket.Chat revoked the bot's token (HTTP 401) and no password is configured"
                )
            log.warning("rocketchat: token refused, logging in again with the password")
            await self._password_login()
            self._authenticated = True

    # ---- the connection loop ----------------------------------------------------------

    async def _mark_answered(self) -> None:
        """Something at the URL answered as Rocket.Chat (/api/info, a login): remembered, so
        that the next start waits for this server instead of calling the URL wrong."""
        if self._answered:
            return
        self._answered = True
        if await self.state.get("server") != self.url:
            await self.state.set("server", self.url)

    def _first_contact_left(self, first_try: datetime, failure: str) -> float:
        """First start, and nothing at the URL has ever answered as Rocket.Chat: a wrong URL,
        port or name is a configuration error to report once `first_contact_timeout` has
        passed, not an outage to wait out. Returns the time left for tries."""
        left = self.first_contact_timeout - (self.clock.now() - first_try).total_seconds()
        if left > 0:
            return left
        # A BackendConfigError: the App logs its message alone and `run` exits with status 1.
        raise RocketChatNotReached(
            f"Rocket.Chat: nothing at {self.url} answered as a Rocket.Chat server in "
            f"{self.first_contact_timeout:g} s ({self._info_failure or failure}); check url in [rocketchat]"
        )

    async def run(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._stopping.clear()
        self.rest.closed = False
        self._running = True
        self.backoff.succeeded()
        first_try = self.clock.now()
        # A server that answered at this URL before (this database remembers it) is away, not
        # misconfigured: it is waited for however long it takes, as after any connection.
        known = await self.state.get("server") == self.url
        try:
            while not self._stopping.is_set():
                started = self.clock.now()
                failure = ""
                try:
                    if await self._read_server():
                        await self._mark_answered()
                    await self._authenticate()
                    await self._mark_answered()
                    await self._session(deliver)
                except RocketChatAuthError:
                    raise  # a BackendConfigError: the App logs its message, without a traceback
                except (DdpClosed, DdpMethodError, RocketChatError, RetryLater, OSError, asyncio.TimeoutError) as exc:
                    failure = str(exc) or exc.__class__.__name__
                    if not self._stopping.is_set():
                        if self._answered:
                            log.warning("rocketchat: connection lost (%s)", failure)
                        else:
                            log.warning("rocketchat: no Rocket.Chat answer from %s yet (%s)", self.url, failure)
                except aiohttp.ClientError as exc:  # a refused websocket upgrade (503 while restarting), ...
                    failure = f"{exc.__class__.__name__}: {exc}"
                    if not self._stopping.is_set():
                        log.warning("rocketchat: connection failed (%s)", failure)
                except Exception as exc:
                    # A bug, not the network: say so loudly, but keep listening.
                    if self._stopping.is_set():
                        break
                    failure = f"{exc.__class__.__name__}: {exc}"
                    log.exception("rocketchat: unexpected error; reconnecting")
                if self._stopping.is_set():
                    break
                # Reset the backoff only after a stable session, or a flapping server is hammered.
                if self.clock.now() - started >= self.stable_after:
                    self.backoff.succeeded()
                delay = self.backoff.failed()
                if not (known or self._answered):
                    delay = min(delay, self._first_contact_left(first_try, failure))
                log.info("rocketchat: reconnecting in %.2fs", delay)
                await self.clock.sleep(delay, self._stopping)
        finally:
            self._running = False
            await self.rest.close()  # _session() already closed its socket

    def status(self) -> BackendStatus:
        """Connected while live on the stream (the socket's own heartbeats watch it); the
        last event is the last thing the stream said, or when it went live."""
        return BackendStatus(connected=self.live, last_event=self._heard_at)

    async def _read_server(self) -> bool:
        """The server's version, read at each connection (a server may have been upgraded
        meanwhile): what chat.sendMessage accepts depends on it. True when it answered as
        Rocket.Chat; a proxy that hides /api/info only costs the version."""
        try:
            info = await self.rest.server_info(timeout=self.connect_timeout)
        except RocketChatNotRocketChat as exc:
            self._info_failure = str(exc)
            log.info("rocketchat: %s; the server's version stays unknown", exc)
            if self._preview_urls is None:
                self._preview_urls = True  # try previewUrls, and learn from a refusal (_send_message)
            return False
        self._info_failure = None
        version = parse_version(info.get("version"))
        if version != self.server_version:
            log.info("rocketchat: server version %s", info.get("version"))
        self.server_version = version
        self._preview_urls = version is not None and version >= PREVIEW_URLS_SINCE
        return True

    async def _session(self, deliver: Deliver) -> None:
        conn = DdpConnection(
            self.rest.session,
            ws_url(self.url),
            ping_interval=self.ping_interval,
            pong_timeout=self.pong_timeout,
            connect_timeout=self.connect_timeout,
        )
        self._conn = conn
        try:
            await conn.open()
            await self._ddp_login(conn)
            await conn.subscribe(STREAM, [MY_MESSAGES, False], timeout=self.connect_timeout)
            await self._load_rooms()
            missing = self.channels - set(self._room_ids)
            if missing:
                log.warning("rocketchat: the bot is not a member of %s; invite it there", ", ".join(sorted(missing)))
            await self._subscribe_deletes(conn)
            # First start ever: what was said before the bot existed is not for it.
            await self.cursor.start(self.clock.now())
            # Subscribed first, then caught up: live events wait in the queue meanwhile,
            # and the seen store absorbs the overlap.
            await self._catch_up(deliver)
            self.connects += 1
            self.live = True
            self._heard_at = self.clock.now()
            log.info("rocketchat: live as %s", self.self_username)
            while True:
                frame = await conn.events.get()
                if frame is None:
                    raise DdpClosed(conn.close_reason or "socket closed")
                self._heard_at = self.clock.now()
                await self._on_frame(frame, deliver)
        finally:
            self.live = False
            self._conn = None
            await conn.close()

    async def _subscribe_deletes(self, conn: DdpConnection) -> None:
        """Hard deletes are told on another stream, room by room: subscribe for each room the
        bot listens in (rooms joined later, at the next connection). A server that refuses
        costs the live news only: the catch-up's `deleted` still brings them."""
        for rid, room in list(self._rooms.items()):
            if room.get("t") == "d" or not self._listens_in(room.get("t"), room.get("name")):
                continue
            try:
                await conn.subscribe(NOTIFY_ROOM, [f"{rid}/deleteMessage", False], timeout=self.connect_timeout)
            except DdpMethodError as exc:
                log.info("rocketchat: no live news of deleted messages (%s); the catch-up brings them", exc.reason)
                return

    async def _ddp_login(self, conn: DdpConnection) -> None:
        for _ in range(2):
            token = self.rest.token
            try:
                result = await conn.call("login", [{"resume": token}], timeout=self.connect_timeout)
            except DdpMethodError as exc:
                if exc.code not in (403, "403"):
                    raise
                # Never retry a refused resume token in a loop: get a new one or stop.
                log.warning("rocketchat: DDP login refused (%s)", exc.reason)
                await self._reauth(token)
                continue
            if isinstance(result, dict) and result.get("id"):
                self.self_id = result["id"]
            return
        raise RocketChatAuthError("Rocket.Chat refused the bot's token on the realtime socket")

    async def stop(self) -> None:
        self._stopping.set()
        conn = self._conn
        if conn is not None:
            await conn.close()
        if not self._running:
            await self.rest.close()  # send() may have opened it without run()

    # ---- rooms --------------------------------------------------------------------------

    async def _load_rooms(self) -> None:
        body = await self.rest.call("GET", "subscriptions.get")
        rooms: dict[str, dict[str, Any]] = {}
        for sub in body.get("update") or []:
            rid = sub.get("rid")
            if rid:
                rooms[rid] = {"t": sub.get("t"), "name": sub.get("name")}
        self._rooms = rooms
        self._room_ids = {r["name"]: rid for rid, r in rooms.items() if r.get("name") and r.get("t") != "d"}

    def _listens_in(self, room_type: str | None, room_name: str | None) -> bool:
        if room_type == "d":
            return True  # a direct message to the bot
        if not self.channels:
            return True  # no list configured: every room the bot was invited to
        return room_name in self.channels

    # ---- catch-up -----------------------------------------------------------------------

    async def _catch_up(self, deliver: Deliver) -> None:
        for rid, room in list(self._rooms.items()):
            if not self._listens_in(room.get("t"), room.get("name")):
                continue
            # One floor for the whole batch: the mark moves while we deliver, and an older
            # message updated later (a reaction) comes after newer ones in _updatedAt order.
            floor = await self.cursor.floor(rid)
            try:
                body = await self.rest.call(
                    "GET", "chat.syncMessages", params={"roomId": rid, "lastUpdate": iso(self.cursor.catch_up_from(floor))}
                )
            except RocketChatApiError as exc:
                # A room the bot just lost: one refusal must not keep every other room deaf.
                log.warning("rocketchat: cannot catch up in %s: %s", room.get("name") or rid, exc)
                continue
            result = body.get("result") or {}
            updated = sorted(
                result.get("updated") or [],
                key=lambda m: parse_date(m.get("_updatedAt")) or datetime.min.replace(tzinfo=timezone.utc),
            )
            if updated:
                log.info("rocketchat: catching up %d updates in %s", len(updated), room.get("name") or rid)
            try:
                for msg in updated:
                    await self._process(msg, room.get("t"), deliver, floor=floor)
                for gone in result.get("deleted") or []:
                    if isinstance(gone, dict) and gone.get("_id"):
                        await self._deleted(rid, room.get("t"), str(gone["_id"]), parse_date(gone.get("_deletedAt")), deliver)
            finally:
                await self.cursor.save()  # once per room, not once per message

    # ---- live events --------------------------------------------------------------------

    async def _on_frame(self, frame: dict[str, Any], deliver: Deliver) -> None:
        if frame.get("collection") == NOTIFY_ROOM:
            await self._on_notify_room(frame, deliver)
            return
        if frame.get("collection") != STREAM:
            return
        fields = frame.get("fields") or {}
        if fields.get("eventName") != MY_MESSAGES:
            return
        args = fields.get("args") or []
        if not args or not isinstance(args[0], dict):
            return
        msg = args[0]
        rid = msg.get("rid")
        allowed = args[1] if len(args) > 1 else None
        if isinstance(allowed, dict):
            if not allowed.get("roomParticipant"):
                return  # a public channel the bot has not joined
            room_type, room_name = allowed.get("roomType"), allowed.get("roomName")
            if rid and rid not in self._rooms:
                self._rooms[rid] = {"t": room_type, "name": room_name}
                if room_name and room_type != "d":
                    self._room_ids[room_name] = rid
        else:
            # No published type declares that second argument, so a server may leave it out:
            # then the bot's own subscriptions say whether the room is one of its rooms.
            room = await self._subscribed_room(rid) if isinstance(rid, str) else None
            if room is None:
                return
            room_type, room_name = room.get("t"), room.get("name")
        if not self._listens_in(room_type, room_name):
            return
        await self._process(msg, room_type, deliver)
        await self.cursor.save()

    async def _on_notify_room(self, frame: dict[str, Any], deliver: Deliver) -> None:
        fields = frame.get("fields") or {}
        rid, _, event = str(fields.get("eventName") or "").partition("/")
        args = fields.get("args") or []
        room = self._rooms.get(rid)
        if event != "deleteMessage" or room is None or not args or not isinstance(args[0], dict):
            return
        if args[0].get("_id"):
            await self._deleted(rid, room.get("t"), str(args[0]["_id"]), None, deliver)

    async def _deleted(self, rid: str, room_type: str | None, mid: str, at: datetime | None, deliver: Deliver) -> None:
        """A message deleted for good: a REMOVAL (the core knows whether it mattered)."""
        at = at or self.clock.now()
        if not self._listens_in(room_type, (self._rooms.get(rid) or {}).get("name")) or self.age.too_old(at, mid, "", rid):
            return
        await self._hand_over(deliver, Incoming(backend=self.name, room=rid, sender="", text="", event_id=f"{mid}:removed",
                                                sent_at=at, kind=REMOVAL, target=mid, is_direct=room_type == "d"), mid)

    async def _subscribed_room(self, rid: str) -> dict[str, Any] | None:
        """The bot's room `rid` (type and name), or None when the bot is not in it. A room
        not known yet (a new DM, a channel the bot was just invited to) sends the bot to its
        subscriptions once; a room found not to be the bot's (a public channel it has not
        joined, whose every message the stream carries) is looked up again only after
        `recheck_after`, so a busy channel costs one call a minute, not one per message."""
        room = self._rooms.get(rid)
        if room is not None:
            return room
        now = self.clock.now()
        checked = self._not_mine.get(rid)
        if checked is not None and now - checked < self.recheck_after:
            return None
        await self._load_rooms()
        room = self._rooms.get(rid)
        if room is None:
            self._not_mine[rid] = now
        else:
            self._not_mine.pop(rid, None)
        return room

    async def _process(
        self, msg: dict[str, Any], room_type: str | None, deliver: Deliver, *, floor: datetime | None = None
    ) -> None:
        mid, rid = msg.get("_id"), msg.get("rid")
        if not mid or not rid:
            return
        updated_at = parse_date(msg.get("_updatedAt"))
        edited_at = parse_date(msg.get("editedAt"))
        sent_at = parse_date(msg.get("ts")) or updated_at or self.clock.now()
        user = msg.get("u") or {}
        cursor, seen = self.cursor, self.cursor.seen
        own = user.get("_id") == self.self_id

        if msg.get("t"):
            if msg["t"] in ROLE_CHANGES:
                self._roles.pop(rid, None)
            elif msg["t"] in LEFT and msg.get("msg") == self.self_username and rid in self._rooms:
                # Without the stream's room argument, this is how the bot learns it is out.
                room = self._rooms.pop(rid)
                self._room_ids.pop(room.get("name") or "", None)
            elif msg["t"] == "rm" and not own:  # a soft delete: the message stays, emptied
                await self._deleted(rid, room_type, str(mid), edited_at or updated_at, deliver)
            seen.remember(mid, edited_at)
            await cursor.advance(rid, mid, updated_at)
            return
        if own or mid in seen:
            await self._update(msg, room_type, deliver, known=mid in seen)
            await cursor.advance(rid, mid, updated_at)
            return
        if floor is None:
            floor = await cursor.floor(rid)
        if cursor.before(sent_at, floor):
            # An update (reaction, edit, thread counter) of a message from before our mark:
            # an edit made since the mark is one to hear.
            edited_since = edited_at is not None and not cursor.before(edited_at, floor)
            await self._update(msg, room_type, deliver, known=False, edited=edited_since)
            await cursor.advance(rid, mid, updated_at)
            return
        seen.remember(mid, edited_at)
        sender = user.get("username") or user.get("_id") or ""
        if self.age.too_old(sent_at, mid, sender, rid):
            await cursor.advance(rid, mid, updated_at)
            return
        organiser = await self._organiser_or_forget(rid, sender, room_type, mid)
        incoming = Incoming(
            backend=self.name,
            room=rid,
            sender=sender,
            text=msg.get("msg") or "",
            event_id=mid,
            sent_at=sent_at,
            thread=msg.get("tmid"),
            sender_is_organiser=organiser,
            is_direct=room_type == "d",
            from_bot=bool(msg.get("bot")),
        )
        await self._hand_over(deliver, incoming, mid)
        await self._reactions_changed(msg, room_type, deliver, None)
        await cursor.advance(rid, mid, updated_at)

    async def _update(self, msg: dict[str, Any], room_type: str | None, deliver: Deliver, *, known: bool,
                      edited: bool | None = None) -> None:
        """Another copy of a message seen before: an edit and reactions added or taken back
        are delivered (base.py); a thread counter, a preview, a read flag are nothing."""
        mid, rid = str(msg["_id"]), str(msg["rid"])
        seen = self.cursor.seen
        edited_at = parse_date(msg.get("editedAt"))
        user = msg.get("u") or {}
        if edited is None:
            edited = known and edited_at is not None and seen.edited_at(mid) != edited_at
        if edited and edited_at is not None and user.get("_id") != self.self_id:
            editor = (msg.get("editedBy") or {}).get("username") or user.get("username") or ""
            if not self.age.too_old(edited_at, mid, editor, rid):
                ms = int(edited_at.timestamp() * 1000)
                await self._hand_over(deliver, Incoming(
                    backend=self.name, room=rid, sender=editor, text=msg.get("msg") or "", event_id=f"{mid}:edit:{ms}",
                    sent_at=edited_at, thread=msg.get("tmid"), is_direct=room_type == "d",
                    from_bot=bool(msg.get("bot")), kind=EDIT, target=mid), mid)
        before = seen.reactions(mid) if known else None
        await self._reactions_changed(msg, room_type, deliver, before,
                                      snapshot=before is None and self._own_with_own_reactions(msg))
        seen.remember(mid, edited_at)

    def _own_with_own_reactions(self, msg: dict[str, Any]) -> bool:
        """A message of the bot's that carries its own reactions: a date poll, whose answers are
        the reactions on it (the one kind of message whose reactions taken back matter)."""
        if (msg.get("u") or {}).get("_id") != self.self_id:
            return False
        return any(self.self_username in ((entry or {}).get("usernames") or [])
                   for entry in (msg.get("reactions") or {}).values())

    async def _reactions_changed(self, msg: dict[str, Any], room_type: str | None, deliver: Deliver,
                                 before: Reactions | None, snapshot: bool = False) -> None:
        """Deliver the reactions `msg` carries that `before` did not, and the removal of those
        it no longer carries; with `before` unknown (None), every reaction it carries, and with
        `snapshot` (an update of a date poll not seen since the start) all of them at once as
        REACTIONS, so that the core learns of one taken back while the bot was away."""
        mid, rid = str(msg["_id"]), str(msg["rid"])
        now_on: set[tuple[str, str]] = set()
        for name, entry in (msg.get("reactions") or {}).items():
            for username in (entry or {}).get("usernames") or []:
                if isinstance(username, str) and username != self.self_username:
                    now_on.add((str(name).strip(":"), username))
        current: Reactions = frozenset(now_on)
        at = parse_date(msg.get("_updatedAt")) or self.clock.now()
        stamp = int(at.timestamp() * 1000)
        if not self.age.too_old(at, mid, "", rid):
            for name, username in sorted(current - (before or frozenset())):
                await self._hand_over(deliver, Incoming(
                    backend=self.name, room=rid, sender=username, text=EMOJI_OF_NAME.get(name, f":{name}:"),
                    event_id=f"{mid}:react:{name}:{username}", sent_at=at, is_direct=room_type == "d", kind=REACTION,
                    target=mid, sender_is_organiser=await self._organiser_or_forget(rid, username, room_type, mid)), mid)
            for name, username in sorted((before or frozenset()) - current):
                await self._hand_over(deliver, Incoming(
                    backend=self.name, room=rid, sender=username, text="",
                    event_id=f"{mid}:unreact:{name}:{username}:{stamp}", sent_at=at, is_direct=room_type == "d",
                    kind=REMOVAL, target=f"{mid}:react:{name}:{username}"), mid)
            if snapshot:
                standing = [[EMOJI_OF_NAME.get(name, f":{name}:"), username] for name, username in sorted(current)]
                await self._hand_over(deliver, Incoming(
                    backend=self.name, room=rid, sender="", text=json.dumps(standing, ensure_ascii=False),
                    event_id=f"{mid}:reactions:{stamp}", sent_at=at, is_direct=room_type == "d", kind=REACTIONS,
                    target=mid), mid)
        self.cursor.seen.remember(mid, self.cursor.seen.edited_at(mid), current)

    async def _organiser_or_forget(self, rid: str, username: str, room_type: str | None, mid: str) -> bool:
        try:
            return await self._is_organiser(rid, username, room_type)
        except BaseException:
            self.cursor.seen.forget(mid)  # not handled: the catch-up after the reconnect brings it back
            raise

    async def _hand_over(self, deliver: Deliver, incoming: Incoming, mid: str) -> None:
        """`deliver`, and on failure forget `mid`: the catch-up after the reconnect brings it
        (and what happened to it) back."""
        try:
            await deliver(incoming)
        except (asyncio.CancelledError, RetryLater):
            # Stopped, or the server went away while the core asked it about roles
            # (refresh_organiser): the catch-up after the reconnect delivers it again.
            self.cursor.seen.forget(mid)
            raise
        except Exception:
            # The mark does not move: the session restarts (after the backoff) and the
            # catch-up delivers it again; the core gives it up after repeated failures.
            self.cursor.seen.forget(mid)
            log.exception("rocketchat: delivering %s failed", incoming.event_id)
            raise DdpClosed("deliver failed")

    # ---- organisers ---------------------------------------------------------------------

    async def _is_organiser(self, rid: str, username: str, room_type: str | None) -> bool:
        if room_type == "d" or not self.organiser_roles:
            return False  # DMs have no room roles
        try:
            roles = await self._room_roles(rid, room_type)
        except RocketChatTransient:
            # Server away: guessing "not an organiser" would refuse a moderator's command.
            # Raise instead; the session restarts and the catch-up delivers it later.
            raise
        except RocketChatApiError as exc:
            log.warning("rocketchat: could not read the roles of %s: %s", rid, exc)
            return False
        return bool(roles.get(username, set()) & self.organiser_roles)

    async def refresh_organiser(self, msg: Incoming) -> bool:
        """The core is about to refuse `msg` for want of organiser rights. A server with
        Hide_System_Messages never tells the bot that someone became a moderator, so the
        cached roles may be stale: read them again, unless they were read less than
        `recheck_after` ago (once a minute per room at most, however many refusals)."""
        room_type = (self._rooms.get(msg.room) or {}).get("t")
        if room_type == "d" or not self.organiser_roles:
            return msg.sender_is_organiser
        cached = self._roles.get(msg.room)
        if cached is not None and self.clock.now() - cached[0] < self.recheck_after:
            return msg.sender_is_organiser
        self._roles.pop(msg.room, None)
        try:
            fresh = await self._is_organiser(msg.room, msg.sender, room_type)
        except RocketChatTransient as exc:
            # The server went away meanwhile: the message is delivered again after the reconnect.
            raise RetryLater(str(exc), exc.delay) from exc
        if fresh != msg.sender_is_organiser:
            log.info("rocketchat: %s's roles in %s changed unannounced; now %s", msg.sender, msg.room,
                     "an organiser" if fresh else "not an organiser")
        return fresh

    async def _room_roles(self, rid: str, room_type: str | None) -> dict[str, set[str]]:
        cached = self._roles.get(rid)
        if cached is not None and self.clock.now() - cached[0] < self.roles_ttl:
            return cached[1]
        body: dict[str, Any] | None = None
        if not self._rooms_roles_missing:
            try:
                body = await self.rest.call("GET", "rooms.roles", params={"rid": rid})
            except RocketChatApiError as exc:
                if exc.status != 404:
                    raise
                self._rooms_roles_missing = True  # before 7.10
        if body is None:
            endpoint = "groups.roles" if room_type == "p" else "channels.roles"
            body = await self.rest.call("GET", endpoint, params={"roomId": rid})
        roles: dict[str, set[str]] = {}
        for entry in body.get("roles") or []:
            name = (entry.get("u") or {}).get("username")
            if name:
                roles.setdefault(name, set()).update(entry.get("roles") or [])
        self._roles[rid] = (self.clock.now(), roles)
        return roles

    # ---- sending ------------------------------------------------------------------------

    def fits(self, out: Outgoing) -> bool:
        return js_length(out.body.rocketchat()) <= self.max_message_length

    async def send(self, out: Outgoing) -> str | None:
        """Post `out`; the message's id (its client `_id`, the send key)."""
        if out.reaction is not None:
            await self._react(out)
            return None
        try:
            await self._authenticate()
            await self._read_message_length()
            if not self.fits(out):  # split for a limit learnt just now: nothing was sent
                raise RetryLater(f"rocketchat: longer than the server's {self.max_message_length} characters", 0.0)
            rid = await self._target_room(out)
            message: dict[str, Any] = {"_id": out.send_key, "rid": rid, "msg": out.body.rocketchat()}
            if out.thread:
                message["tmid"] = out.thread
            try:
                await self._send_message(message)
            except RocketChatApiError as exc:
                if exc.error_type == "error-message-size-exceeded":
                    # The limit was lowered since it was read: read it again (and shrink,
                    # should the setting not say less), and the outbox splits again.
                    self.max_message_length = min(self.max_message_length, js_length(message["msg"]) * 3 // 4)
                    self._message_length_read, self._message_length_refused = False, True
                    log.warning("rocketchat: the server refused %d characters", js_length(message["msg"]))
                    raise RetryLater("rocketchat: message too long for the server", 0.0) from exc
                if exc.status == 400 and await self._already_posted(out.send_key, rid):
                    log.info("rocketchat: %s was already posted", out.send_key)
                    return out.send_key
                raise
            return out.send_key
        except RocketChatTransient as exc:
            raise RetryLater(str(exc), exc.delay) from exc
        except RocketChatAuthError as exc:
            # The backend stops on it (a configuration to fix): keep the message for then.
            raise RetryLater(str(exc)) from exc
        except RocketChatError as exc:
            # Not allowed in that room, no such room or user, a message the server will not take.
            raise Refused(f"rocketchat: {exc}") from exc

    async def _react(self, out: Outgoing) -> None:
        """A reaction: `chat.react` with `shouldReact: true`, which sets it (never toggles
        it off), so that sending it again after a crash changes nothing."""
        name = EMOJI_NAMES.get(out.reaction or "") or (out.reaction or "").strip(":")
        try:
            await self._authenticate()
            await self.rest.call("POST", "chat.react", json={"messageId": out.reply_to, "emoji": name, "shouldReact": True},
                                 no_wait=True)
        except RocketChatTransient as exc:
            raise RetryLater(str(exc), exc.delay) from exc
        except RocketChatAuthError as exc:
            raise RetryLater(str(exc)) from exc
        except RocketChatError as exc:
            raise Refused(f"rocketchat: {exc}") from exc

    async def _send_message(self, message: dict[str, Any]) -> None:
        """chat.sendMessage, with `previewUrls: []` (no link previews under the bot's replies)
        where the server knows it: from 6.4. Before, the request schema allows `message` and
        nothing else, and any other key gets 400 `invalid-params`."""
        if self._preview_urls is None:
            # Sent before run() read the version: what a previous run left in the outbox
            # goes out at once.
            await self._read_server()
        body: dict[str, Any] = {"message": message}
        if self._preview_urls:
            body["previewUrls"] = []
        try:
            await self.rest.call("POST", "chat.sendMessage", json=body, no_wait=True)
        except RocketChatApiError as exc:
            if "previewUrls" not in body or not refuses_preview_urls(exc):
                raise
            log.warning("rocketchat: the server (version %s) refused previewUrls (%s); sending without it from now on",
                        ".".join(map(str, self.server_version or ())) or "unknown", exc.error)
            self._preview_urls = False
            await self.rest.call("POST", "chat.sendMessage", json={"message": message}, no_wait=True)

    async def _read_message_length(self) -> None:
        """The server's message length limit, once: a public setting, read without auth
        (recent servers filter on `_id`; an older one may leave it out of its first page, and the default stays)."""
        if self._message_length_read:
            return
        try:
            body = await self.rest.call("GET", "settings.public", params={"_id": MESSAGE_SIZE_SETTING}, auth=False)
        except RocketChatApiError as exc:
            log.info("rocketchat: cannot read %s (%s); messages stay within %d characters",
                     MESSAGE_SIZE_SETTING, exc, self.max_message_length)
            body = {}
        self._message_length_read = True
        for setting in body.get("settings") or []:
            value = setting.get("value")
            if setting.get("_id") == MESSAGE_SIZE_SETTING and isinstance(value, int) and value > 0:
                self.max_message_length = min(value, self.max_message_length) if self._message_length_refused else value
        log.info("rocketchat: messages within %d characters", self.max_message_length)

    async def _already_posted(self, send_key: str, rid: str) -> bool:
        """A resend after a crash: the first attempt may have landed. Ask for the message
        itself rather than trusting the wording of the duplicate-key error."""
        try:
            body = await self.rest.call("GET", "chat.getMessage", params={"msgId": send_key})
        except RocketChatApiError:
            return False
        msg = body.get("message") or {}
        return (msg.get("u") or {}).get("_id") == self.self_id and msg.get("rid") == rid

    async def _target_room(self, out: Outgoing) -> str:
        if out.dm_user:
            return await self._dm_room(out.dm_user)
        if not out.room:
            raise RocketChatError("an outgoing message needs a room or a dm_user")
        room = out.room.lstrip("#")
        if room in self._rooms:
            return room
        if room not in self._room_ids:
            await self._load_rooms()
        return self._room_ids.get(room, room)  # not a known name: it is a room id

    async def _dm_room(self, username: str) -> str:
        return await self.dm_rooms.room_for(username, self._open_dm)

    async def _open_dm(self, username: str) -> str:
        body = await self.rest.call("POST", "im.create", json={"username": username})
        room = body.get("room") or {}
        rid = room.get("rid") or room.get("_id")
        if not rid or not isinstance(rid, str):
            raise RocketChatError(f"im.create gave no room for {username}")
        return rid
