"""The core: takes messages from every backend, answers them through the outbox, runs the
scheduler. One App serves one Chambre; its records are shared by all the rooms it is in.

Nothing lost, nothing twice:
- a command is applied, its reply written to the outbox, and its event id marked handled,
  all in one transaction; a redelivered event finds its id and changes nothing;
- the outbox is sent by one pump per backend with a send key derived from the command's
  event id (or the scheduled post's name), which the chat server deduplicates on, so a
  crash between the change and the send, or a resend after restart, never posts twice;
- a message larger than the chat takes (`Backend.fits`) is sent as several, in order, each
  under a key derived from the message's key and its part, so a resend posts none twice;
- what is not a command goes to `_conversation`, the one place for everything that reads
  conversation (presence at a session, listening); edits, removals and reactions to `_follow`.
  What they record, the reaction and thread reply that say so, and the event's handled
  mark are one transaction too.

One delivery policy for every chat (the backends classify their failures, base.py):
- a message the chat refuses for good (`Refused`) is given up at once, with a log line, and
  the next one goes out;
- one it cannot take now (`RetryLater`) is tried again, after the delay the chat asked for
  or the backoff (`bot.backoff`), and the messages behind it wait, so that they arrive in
  order; the count of tries is kept in the outbox row, so a restart does not reset it;
- anything else is a bug: logged with its traceback, retried the same way, given up after
  MAX_ATTEMPTS tries.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from bot import conversation, poll_chat
from bot.backends.base import (EDIT, MESSAGE, POLL_ANSWER, REACTION, REACTIONS, REMOVAL, Backend, BackendConfigError,
                               BackendStatus, Incoming, Outgoing, Refused, RetryLater)
from bot.backoff import Backoff
from bot.clock import Clock
from bot.config import Config
from bot.logs import event
from bot.presence import note_speaker
from bot.richtext import Doc
from bot.services import Actor
from bot.services import listening as listening_svc
from bot.services import rhythm as rhythm_svc
from bot.services import sessions as session_svc
from commands.context import Context
from commands.dispatcher import dispatch, is_command, needs_organiser, unreadable_notice
from storage.db import ChambreDatabase, DatabaseThread
from storage.store import Store

if TYPE_CHECKING:
    from bot.listening import Proposal
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)

# Tries before a message is given up when it keeps failing on an error nobody classified (a
# bug), and failed deliveries before the core gives up an incoming message it cannot take.
MAX_ATTEMPTS = 5


def send_key(*parts: str) -> str:
    """A short, stable key from what caused a message: same cause, same key, on every retry."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f"cb{digest}"


def message_parts(out: Outgoing, fits: Callable[[Outgoing], bool]) -> list[Outgoing]:
    """`out` as the messages the chat takes (`fits`), in order. A message that fits keeps its
    key; the parts of one that does not get keys derived from it, their number and their
    content, so that a resend of the same message posts each part once."""
    docs = out.body.split(lambda doc: fits(replace(out, body=doc)))
    if len(docs) == 1:
        return [replace(out, body=docs[0])]
    return [replace(out, body=doc, send_key=send_key("part", out.send_key, f"{k}/{len(docs)}", doc.to_json()))
            for k, doc in enumerate(docs, 1)]


class DbState:
    """BackendState in the bot's database."""

    def __init__(self, db: DatabaseThread, backend: str) -> None:
        self.db, self.backend = db, backend

    async def get(self, key: str) -> str | None:
        return await self.db.run(lambda d: Store(d).state_get(self.backend, key))

    async def set(self, key: str, value: str) -> None:
        def write(d: ChambreDatabase) -> None:
            with d.atomic():
                Store(d).state_set(self.backend, key, value)

        await self.db.run(write)


class App:
    def __init__(self, config: Config, clock: Clock | None = None, backends: list[Backend] | None = None,
                 db_path: str | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.db = DatabaseThread(db_path or config.database_path())
        self.backends: dict[str, Backend] = {b.name: b for b in (backends or [])}
        self._wake: dict[str, asyncio.Event] = {}
        self._idle: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._run_tasks: dict[str, asyncio.Task[None]] = {}
        self.scheduler: Scheduler | None = None
        # Set to False before start() for a console beside a running bot: the scheduled posts
        # are that bot's to make.
        self.schedule = True
        self._stopping = False
        # Seconds after the start at which dateparser's data is loaded (see _warm_up).
        self.warm_up_after = 2.0
        # The wait before trying a failed send again, by the count of tries kept in its row.
        self.send_backoff = Backoff(first=1.0, maximum=60.0)
        # Incoming messages the core failed to take, by (backend, event id): see deliver().
        self._failed_deliveries: dict[tuple[str, str], int] = {}
        # The places the group uses, for listening; read again after any change (see _places).
        self._known_places: list[str] | None = None

    # ---- life cycle ---------------------------------------------------------------------------

    def state_for(self, backend: str) -> DbState:
        return DbState(self.db, backend)

    def build_backends(self) -> None:
        """The chat backends named in the configuration (unless given to the constructor)."""
        if self.backends:
            return
        from bot.backends import configured

        self.backends = {b.name: b for b in configured(self.config, self.state_for, self.clock)}

    async def start(self) -> None:
        await self.db.open()
        await self.db.run(self._adopt_rhythm)
        self._tasks.append(asyncio.create_task(self._warm_up(), name="warm-up"))
        self.build_backends()
        for name, backend in self.backends.items():
            backend.settle = self.settle
            self._wake[name] = asyncio.Event()
            self._idle[name] = asyncio.Event()
            self._wake[name].set()  # send what a previous run left in the outbox
            self._tasks.append(asyncio.create_task(self._pump(backend), name=f"outbox-{name}"))
            task = asyncio.create_task(self._run_backend(backend), name=f"backend-{name}")
            self._run_tasks[name] = task
            self._tasks.append(task)
        if not self.schedule:
            return
        from bot.scheduler import Scheduler

        self.scheduler = Scheduler(self)
        self._tasks.append(asyncio.create_task(self.scheduler.run(), name="scheduler"))

    async def _warm_up(self) -> None:
        """dateparser's data, once, on the database thread where commands run, a moment after
        the start: a start does not wait for it (the chats connect and catch up first), and
        the commands after that moment do not pay for it."""
        from bot.when import warm_up

        await self.clock.sleep(self.warm_up_after)
        await self.db.run(lambda _db: warm_up())

    def _adopt_rhythm(self, db: ChambreDatabase) -> None:
        """The configured session rhythm, read once before anything reads it."""
        with db.atomic():
            rhythm_svc.adopt_configured(Store(db), self.config, self.clock.now())

    async def _run_backend(self, backend: Backend) -> None:
        try:
            await backend.run(self.deliver)
        except BackendConfigError as err:  # its message says what to fix; a traceback would hide it
            log.error("%s", err)
            raise
        except Exception:  # CancelledError is not an Exception: a stop passes through
            log.exception("backend %s stopped on an error", backend.name)
            raise

    async def wait_backend(self, name: str) -> None:
        """Until that backend's run() returns (the console at the end of its input)."""
        with contextlib.suppress(asyncio.CancelledError):
            await self._run_tasks[name]

    def backend_status(self) -> dict[str, BackendStatus]:
        """Each backend's account of its link to the chat (/healthz); one whose run() has
        ended is down, whatever it last said."""
        states = {}
        for name, backend in self.backends.items():
            task = self._run_tasks.get(name)
            states[name] = backend.status() if task is not None and not task.done() else BackendStatus(False)
        return states

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        if self.scheduler is not None:
            self.scheduler.stop()
        for backend in self.backends.values():
            with contextlib.suppress(Exception):
                await backend.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.to_thread(self.db.close)

    # ---- incoming -------------------------------------------------------------------------------

    def is_organiser(self, backend: str, sender: str, elevated: bool = False) -> bool:
        listed = set(self.config.chambre.organisers) | set(self.config.chambre.admins)
        return elevated or sender in listed or f"{backend}:{sender}" in listed

    def room_setting(self, table: dict[str, str], backend: str, room: str) -> str | None:
        """A per-room value of the configuration (`room_languages`, `listen_rooms`), under any
        name of the room: its id, `<backend>:<id>`, or a name its chat gives it (a Rocket.Chat
        channel's `rocketchat:<name>`, a Matrix room's configured alias)."""
        chat = self.backends.get(backend)
        for name in (room, f"{backend}:{room}", *(chat.names(room) if chat is not None else ())):
            if name in table:
                return table[name]
        return None

    def language(self, backend: str, room: str) -> str:
        return self.room_setting(self.config.chambre.room_languages, backend, room) or self.config.chambre.language

    def listen_mode(self, store: Store, backend: str, room: str) -> str:
        """What listening does in a room: an organiser's `!écoute` there, else `listen_rooms`,
        else `listen`."""
        return (listening_svc.room_mode(store, backend, room)
                or self.room_setting(self.config.chambre.listen_rooms, backend, room) or self.config.chambre.listen)

    def is_bot(self, msg: Incoming) -> bool:
        """A sender listening does not read: one the chat marks as a bot, or one configured
        in `[chambre] bots` (the bot's own account never reaches the core)."""
        bots = self.config.chambre.bots
        return msg.from_bot or msg.sender in bots or f"{msg.backend}:{msg.sender}" in bots

    async def deliver(self, msg: Incoming) -> None:
        """Handle one incoming message, once. Returns after the reply is in the outbox.

        When it raises, the backend keeps its cursor and delivers the message again after its
        backoff. A message that fails MAX_ATTEMPTS times is given up here, with a log line, so
        that it does not keep every message after it waiting. The count is kept in memory: the
        usual cause is the database itself, where it could not be written."""
        key = (msg.backend, msg.event_id)
        try:
            await self._deliver(msg)
        except (RetryLater, asyncio.CancelledError):
            raise  # the chat was away while asked about roles; not the message's fault
        except Exception:
            failures = self._failed_deliveries.get(key, 0) + 1
            if failures < MAX_ATTEMPTS:
                self._failed_deliveries[key] = failures
                raise
            self._failed_deliveries.pop(key, None)
            log.exception("%s: giving up on %s from %s after %d failed deliveries", msg.backend, msg.event_id,
                          msg.sender, failures)
            return
        self._failed_deliveries.pop(key, None)

    async def _deliver(self, msg: Incoming) -> None:
        if msg.kind != MESSAGE:
            await self._follow(msg)
            return
        prefix = self.config.chambre.prefix
        if msg.unreadable:
            if await self.db.run(lambda db: self._tell_unreadable(db, msg)):
                self.notify(msg.backend)
            return
        if not is_command(msg.text, prefix):
            await self._conversation(msg)
            return
        if not self.is_organiser(msg.backend, msg.sender, msg.sender_is_organiser) and needs_organiser(msg.text, prefix):
            # About to be refused: the chat may know better than the backend's cache.
            backend = self.backends.get(msg.backend)
            if backend is not None and await backend.refresh_organiser(msg):
                msg = dataclasses.replace(msg, sender_is_organiser=True)
        ctx = await self.db.run(lambda db: self._handle(db, msg))
        if ctx is None:
            return
        command = ctx.command or "?"
        log.info("%s %s: %s, %s", msg.backend, msg.room, command, ctx.outcome,
                 extra=event(backend=msg.backend, room=msg.room, command=command, outcome=ctx.outcome,
                             event=msg.event_id))
        self._changed(msg.backend)

    def _changed(self, backend: str) -> None:
        """Records changed and something was queued for `backend`: send it, and look again."""
        self._known_places = None  # a meeting, permanence or rhythm may bring a new place
        self.notify(backend)
        if self.scheduler is not None:
            # Whatever the command was, what is due next may have changed (a meeting confirmed,
            # the rhythm set): the scheduler looks again, at the cost of planning the next hour.
            self.scheduler.wake()

    def _handle(self, db: ChambreDatabase, msg: Incoming) -> Context | None:
        """Apply `msg` once; its context (what the dispatcher made of it, for the log), or
        None when it was handled before."""
        store = Store(db)
        now = self.clock.now()
        reference = self._reference(msg)
        with db.atomic():
            if store.was_handled(msg.backend, msg.event_id):
                return None
            ctx = Context(store=store, config=self.config, now=reference, lang=self.language(msg.backend, msg.room),
                          sender=msg.sender, room=msg.room, backend=msg.backend,
                          is_organiser=self.is_organiser(msg.backend, msg.sender, msg.sender_is_organiser),
                          event_id=msg.event_id, thread=msg.thread, direct=msg.is_direct,
                          listen_mode=self.listen_mode(store, msg.backend, msg.room))
            reply = dispatch(ctx, msg.text)
            if not msg.is_direct:  # a command is speaking too: present at a session open there
                session_svc.heard(store, msg.backend, msg.room, msg.sender, reference)
            if reply is not None:
                key = send_key("reply", msg.backend, msg.event_id)
                poll = poll_chat.native(store, ctx.reply_poll)
                store.enqueue(key, msg.backend, reply.to_json(), now, room=msg.room,
                              reply_to=poll_chat.reply_to(store, ctx.reply_poll, msg.event_id), thread=msg.thread,
                              poll=poll)
                if ctx.poll_message is not None:  # the reply is that poll's own message
                    store.set_poll_start_key(ctx.poll_message, key)
            for name, backend, room, body, poll_json in ctx.posts:
                store.enqueue(send_key("post", name, backend, room), backend, body.to_json(), now, room=room,
                              reply_to=poll_chat.reply_to(store, poll_json, None), poll=poll_chat.native(store, poll_json))
            for k, private in enumerate(ctx.private):
                store.enqueue(send_key("private", msg.backend, msg.event_id, str(k)), msg.backend, private.to_json(),
                              now, dm_user=msg.sender)  # not a reply: the command is in another room
            store.mark_handled(msg.backend, msg.event_id, now)
        return ctx

    def _tell_unreadable(self, db: ChambreDatabase, msg: Incoming) -> bool:
        """Tell the room, once per `msg.unreadable` key, that the bot could not read a message
        (marked handled under that key: the message itself may still be read later)."""
        store = Store(db)
        key = f"unreadable:{msg.unreadable}"
        with db.atomic():
            if store.was_handled(msg.backend, key):
                return False
            reply = unreadable_notice(self.language(msg.backend, msg.room))
            store.enqueue(send_key("reply", msg.backend, key), msg.backend, reply.to_json(), self.clock.now(),
                          room=msg.room, reply_to=msg.event_id, thread=msg.thread)
            store.mark_handled(msg.backend, key, self.clock.now())
        return True

    # ---- conversation: what is not a command ----------------------------------------------------

    async def _conversation(self, msg: Incoming) -> None:
        """A message that is not a command. The one place for what reads conversation, each
        consumer beside the others: presence (who speaks while a session is open in that room
        is present at it, bot/presence.py), then listening (a meeting or permanence proposed
        in plain words). A direct message counts for neither, nor does another bot (an
        integration posting in the room is not at the session)."""
        if not self.is_bot(msg):
            await note_speaker(self.db, msg)
        await self._listen(msg)

    def _room(self, store: Store | None, msg: Incoming, places: list[str]) -> conversation.Room:
        mode = self.listen_mode(store, msg.backend, msg.room) if store is not None else self.config.chambre.listen
        return conversation.Room(lang=self.language(msg.backend, msg.room), tz=self.config.chambre.tz, mode=mode,
                                 prefix=self.config.chambre.prefix, places=places)

    def _reference(self, msg: Incoming) -> datetime:
        """The instant a member's words are read against: when they were typed (a command or
        a message handled after a restart keeps its meaning), unless the sender's clock is
        ahead of ours."""
        now = self.clock.now()
        return min(msg.sent_at, now) if msg.sent_at else now

    async def _listen(self, msg: Incoming) -> None:
        """Listening (docs/listening.md): a meeting or permanence proposed in a room the bot
        listens in is recorded (or suggested), with a 📅 on the message and a reply in its
        thread. Deciding costs about a millisecond and no storage, so a busy room costs
        nothing; only a proposal opens a transaction."""
        if msg.is_direct or self.is_bot(msg):
            return
        places = await self._places()
        found = conversation.read(msg.text, self._reference(msg), self._room(None, msg, places))
        if found is None:
            return
        chat = self.backends.get(msg.backend)
        link = chat.link(msg.room, msg.event_id) if chat is not None else None
        if await self.db.run(lambda db: self._heard(db, msg, found, places, link)):
            # For the operator, like a command: never what the member wrote.
            log.info("%s %s: listening, heard", msg.backend, msg.room,
                     extra=event(backend=msg.backend, room=msg.room, command="listening", outcome="heard",
                                 event=msg.event_id))
            self._changed(msg.backend)

    def _heard(self, db: ChambreDatabase, msg: Incoming, found: Proposal, places: list[str], link: str | None) -> bool:
        store = Store(db)
        with db.atomic():
            if store.was_handled(msg.backend, msg.event_id):
                return False
            room = self._room(store, msg, places)
            if room.mode == "off":
                return False  # nothing done, nothing to mark: a redelivery is read (and left) again
            said = conversation.message(store, msg, found, room, link, self._reference(msg))
            self._say(store, msg, said)
            store.mark_handled(msg.backend, msg.event_id, self.clock.now())
        return True

    async def _places(self) -> list[str]:
        """The places the group uses, spelled its way: configured ones, the rhythm's, earlier
        meetings' and permanences'. Read once, and again after a change (`_changed`)."""
        if self._known_places is None:
            used = await self.db.run(lambda db: Store(db).known_places())
            configured = [*self.config.chambre.places, *([self.config.rhythm.place] if self.config.rhythm.place else [])]
            self._known_places = list(dict.fromkeys([*configured, *used]))
        return self._known_places

    async def _follow(self, msg: Incoming) -> None:
        """An edit, a removal or a reaction: for what reads conversation, once."""
        chat = self.backends.get(msg.backend)
        link = chat.link(msg.room, msg.target) if chat is not None and msg.target else None
        if msg.kind == REACTION and msg.text == conversation.ACCEPT and \
                not self.is_organiser(msg.backend, msg.sender, msg.sender_is_organiser):
            # A ✅ from someone the chat's cache calls a member may come from a new organiser.
            if chat is not None and await chat.refresh_organiser(msg):
                msg = dataclasses.replace(msg, sender_is_organiser=True)
        places = await self._places() if msg.kind == EDIT else []
        if await self.db.run(lambda db: self._followed(db, msg, places, link)):
            self._changed(msg.backend)

    def _followed(self, db: ChambreDatabase, msg: Incoming, places: list[str], link: str | None) -> bool:
        store = Store(db)
        now = self.clock.now()
        with db.atomic():
            if msg.kind in (POLL_ANSWER, REACTIONS) or store.poll_by_message(msg.backend, self._about(store, msg)) \
                    or (msg.kind == REMOVAL and store.poll_answer_poll(msg.backend, msg.target or "") is not None):
                # An answer to a date poll, something done to a poll's message, or the
                # reactions a message carries now (bot/poll_chat.py).
                said = poll_chat.followed(store, msg, now, self.config.chambre.prefix)
                if said is None:
                    return False
                self._say(store, msg, said)
                return True
            if msg.kind == REACTION:
                # A reaction is handled once while it stands: the reactions table is its mark.
                if not store.add_reaction(msg.backend, msg.room, msg.target or "", msg.text, msg.sender, msg.event_id, now):
                    return False
                if msg.is_direct or self.is_bot(msg):
                    return True
                actor = Actor(msg.sender, self.is_organiser(msg.backend, msg.sender, msg.sender_is_organiser))
                said = conversation.reacted(store, msg, actor, self._room(store, msg, places), self._reference(msg))
            else:
                if store.was_handled(msg.backend, msg.event_id):
                    return False
                said = []
                if msg.kind == REMOVAL:
                    # A reaction taken back (its reactions row goes), or a message deleted.
                    if store.take_reaction(msg.backend, msg.target or "") is None:
                        said = conversation.removed(store, msg, self._reference(msg))
                elif msg.kind == EDIT and not (msg.is_direct or self.is_bot(msg)):
                    said = conversation.edited(store, msg, lambda: self._room(store, msg, places), link,
                                               self._reference(msg))
                store.mark_handled(msg.backend, msg.event_id, now)
            self._say(store, msg, said)
        return True

    @staticmethod
    def _about(store: Store, msg: Incoming) -> str:
        """The message an edit, reaction or removal is about (a removal may name a reaction)."""
        if msg.kind == REMOVAL:
            standing = store.reaction_by_id(msg.backend, msg.target or "")
            if standing is not None:
                return standing
        return msg.target or ""

    def _say(self, store: Store, msg: Incoming, said: list[conversation.Said]) -> None:
        """Queue what the bot says about a message, in the caller's transaction: each under a
        key derived from what caused it, so a redelivery or a resend posts nothing twice."""
        now = self.clock.now()
        for item in said:
            what = "react:" + item.reaction if item.reaction else "thread"
            body = item.body.to_json() if item.body is not None else Doc().to_json()
            store.enqueue(send_key("heard", msg.backend, item.cause, what), msg.backend, body, now, room=msg.room,
                          reply_to=item.target, thread=item.thread, reaction=item.reaction)

    # ---- outgoing -------------------------------------------------------------------------------

    def destination(self, target: str, dm: bool = False) -> tuple[str, str] | None:
        """Where a post goes: (backend, room) for a configured room, (backend, user) for a
        direct message, from the first running backend that serves it; None when none does."""
        for name, backend in self.backends.items():
            where = backend.dm_user(target) if dm else backend.serves(target)
            if where is not None:
                return name, where
        return None

    # The send keys of what the App queues, for the scheduler's posts that are not named posts
    # (a poll's result).
    send_key = staticmethod(send_key)

    def enqueue_post(self, store: Store, name: str, body: Doc, destination: tuple[str, str], now: datetime,
                     dm: bool = False) -> bool:
        """Queue a scheduled post (in the caller's transaction) under a key derived from its
        name and destination (see `destination`)."""
        backend, where = destination
        key = send_key("post", name, backend, where)
        log.info("%s %s: post %s queued", backend, where, name, extra=event(backend=backend, room=where, post=name))
        if dm:  # the backend finds (or makes) the person's direct-message room
            return store.enqueue(key, backend, body.to_json(), now, dm_user=where)
        return store.enqueue(key, backend, body.to_json(), now, room=where)

    def notify(self, backend: str | None = None) -> None:
        for name in [backend] if backend else list(self._wake):
            if name in self._wake:
                self._wake[name].set()

    async def settle(self) -> None:
        """Until the posts due by now are made and every outbox is sent: the console calls it
        after each line, so that a piped session reads like a conversation."""
        if self.scheduler is not None:
            await self.scheduler.catch_up()
        for name in list(self._idle):
            await self.drained(name)

    async def drained(self, backend: str) -> None:
        """Until the outbox of `backend` has nothing left to send."""
        idle, wake = self._idle[backend], self._wake[backend]
        idle.clear()
        wake.set()
        await idle.wait()

    async def _pump(self, backend: Backend) -> None:
        name = backend.name
        wake, idle = self._wake[name], self._idle[name]
        # Parts of a split message the chat already took in this run, by outbox row: a retry
        # of the message sends the rest only (the chat would deduplicate them, at a request each).
        sent_parts: dict[int, set[str]] = {}
        while True:
            await wake.wait()
            wake.clear()
            rows = await self.db.run(lambda db: Store(db).pending(name, replies_to=backend.replies_to))
            if not rows:
                idle.set()
                continue
            for row in rows:
                out = Outgoing(send_key=row["send_key"], body=Doc.from_json(row["body"]), room=row["room"],
                               dm_user=row["dm_user"], reply_to=row["reply_to"], thread=row["thread"],
                               reaction=row["reaction"], poll=json.loads(row["poll"]) if row.get("poll") else None)
                taken = sent_parts.setdefault(row["id"], set())
                message_id: str | None = None
                try:
                    for part in await self._parts(backend, out):
                        if part.send_key not in taken:
                            got = await backend.send(part)
                            message_id = message_id or got  # the first part's id names the message
                            taken.add(part.send_key)
                except Refused as err:
                    # Sending it again would get the same answer: give it up now, so that it
                    # does not hold back the messages queued behind it.
                    log.warning("%s: the chat refused %s for good, given up: %s", name, out.send_key, err)
                    sent_parts.pop(row["id"], None)
                    await self._failed(row["id"], err, give_up=True)
                    continue
                except Exception as err:  # RetryLater, or a bug
                    attempts = await self._failed(row["id"], err)
                    if not isinstance(err, RetryLater) and attempts >= MAX_ATTEMPTS:
                        log.exception("%s: giving up on %s after %d attempts", name, out.send_key, attempts)
                        sent_parts.pop(row["id"], None)
                        await self._failed(row["id"], err, give_up=True, count=False)
                        continue
                    delay = self.send_backoff.delay(attempts)
                    if isinstance(err, RetryLater):
                        delay = delay if err.delay is None else err.delay
                        log.info("%s: send of %s postponed %.1fs (attempt %d): %s", name, out.send_key, delay,
                                 attempts, err)
                    else:
                        log.exception("%s: send of %s failed (attempt %d); trying again in %.1fs", name,
                                      out.send_key, attempts, delay)
                    # The messages behind it wait too: they arrive in order, after it. A wait
                    # of our own backoff (the chat did not say how long) ends early when the
                    # chat shows it is back: a command heard on it, a post for it.
                    wake.clear()
                    await self.clock.sleep(delay, wake if _waits_our_backoff(err) else None)
                    break
                else:
                    sent_parts.pop(row["id"], None)
                    await self._sent(row["id"], message_id, backend if out.poll and "start" in out.poll else None)
            wake.set()  # look again: more may have come, or a retry is due

    async def _sent(self, outbox_id: int, message_id: str | None = None, poll_on: Backend | None = None) -> None:
        """Mark a message sent, with the id the chat gave it. A poll's own message sent on a chat
        that answers polls by reactions gets its option reactions now, in the same
        transaction, each under a key derived from the poll's."""
        now = self.clock.now()

        def write(db: ChambreDatabase) -> None:
            store = Store(db)
            with db.atomic():
                store.mark_sent(outbox_id, now, message_id)
                if poll_on is not None and poll_on.polls_by_reaction and message_id:
                    poll_chat.add_option_reactions(store, poll_on.name, message_id, now, send_key)

        await self.db.run(write)

    async def _failed(self, outbox_id: int, err: Exception, give_up: bool = False, count: bool = True) -> int:
        """Count a failed try in the message's outbox row (and give it up); the count so far."""
        now = self.clock.now()

        def write(db: ChambreDatabase) -> int:
            store = Store(db)
            with db.atomic():
                attempts = store.mark_failed(outbox_id, f"{type(err).__name__}: {err}") if count else 0
                if give_up:
                    store.give_up(outbox_id, now)
            return attempts

        return await self.db.run(write)

    @staticmethod
    async def _parts(backend: Backend, out: Outgoing) -> list[Outgoing]:
        """`out` as the messages the chat takes. A reply that fits (nearly all) is measured
        here; splitting one that does not renders it a few dozen times (about 0.1 s for the
        largest list), off the event loop so that the chats are still heard meanwhile. Of a
        poll's end split in parts (a result listing hundreds of voters), the first is the
        chat's poll end, the others plain messages."""
        if out.reaction is not None or backend.fits(out):
            return [out]
        parts = await asyncio.to_thread(message_parts, out, backend.fits)
        return [parts[0], *(replace(part, poll=None) for part in parts[1:])]


def _waits_our_backoff(err: Exception) -> bool:
    """Whether the wait after `err` is the backoff's (not a delay the chat asked for)."""
    return not isinstance(err, RetryLater) or err.delay is None
