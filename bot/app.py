"""The core: takes messages from every backend, answers them through the outbox, runs the
scheduler. One App serves one Chambre; its records are shared by all the rooms it is in.

Nothing lost, nothing twice:
- a command is applied, its reply written to the outbox, and its event id marked handled,
  all in one transaction; a redelivered event finds its id and changes nothing;
- the outbox is sent by one pump per backend with a send key derived from the command's
  event id (or the scheduled post's name), which the chat server deduplicates on, so a
  crash between the change and the send, or a resend after restart, never posts twice;
- a message larger than the chat takes (`Backend.fits`) is sent as several, in order, each
  under a key derived from the message's key and its part, so a resend posts none twice.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
from dataclasses import replace
from datetime import datetime
from typing import Callable

from bot.backends.base import Backend, BackendConfigError, Incoming, Outgoing, RetryLater
from bot.clock import Clock
from bot.config import Config
from bot.presence import note_speaker
from bot.richtext import Doc
from bot.services import sessions as session_svc
from commands.context import Context
from commands.dispatcher import dispatch, is_command, needs_organiser
from storage.db import Database
from storage.store import Store

log = logging.getLogger(__name__)

CONSOLE = "console"
MAX_ATTEMPTS = 6  # refusals (not rate limits or outages, which are waited out) before giving up


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

    def __init__(self, db: Database, backend: str) -> None:
        self.db, self.backend = db, backend

    async def get(self, key: str) -> str | None:
        return await self.db.run(lambda d: Store(d).state_get(self.backend, key))

    async def set(self, key: str, value: str) -> None:
        def write(d):
            with d.atomic():
                Store(d).state_set(self.backend, key, value)

        await self.db.run(write)


class App:
    def __init__(self, config: Config, clock: Clock | None = None, backends: list[Backend] | None = None,
                 db_path: str | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.db = Database(db_path or config.database_path())
        self.backends: dict[str, Backend] = {b.name: b for b in (backends or [])}
        self._wake: dict[str, asyncio.Event] = {}
        self._idle: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task] = []
        self._run_tasks: dict[str, asyncio.Task] = {}
        self.scheduler = None
        # Set to False before start() for a console beside a running bot: the scheduled posts
        # are that bot's to make.
        self.schedule = True
        self._stopping = False
        # First wait after a refused send, doubled up to a minute (tests shorten it).
        self.send_backoff = 1.0

    # ---- life cycle ---------------------------------------------------------------------------

    def state_for(self, backend: str) -> DbState:
        return DbState(self.db, backend)

    def build_backends(self) -> None:
        """The chat backends named in the configuration (unless given to the constructor)."""
        if self.backends:
            return
        if self.config.matrix is not None:
            from bot.backends.matrix import MatrixBackend

            self.backends["matrix"] = MatrixBackend(self.config.matrix, self.state_for("matrix"), self.clock)
        if self.config.rocketchat is not None:
            from bot.backends.rocketchat import RocketChatBackend

            self.backends["rocketchat"] = RocketChatBackend(self.config.rocketchat, self.state_for("rocketchat"), self.clock)

    async def start(self) -> None:
        from bot.when import warm_up

        await self.db.open()
        await asyncio.to_thread(warm_up)  # dateparser's data, once, off the event loop
        self.build_backends()
        for name, backend in self.backends.items():
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

    def language(self, backend: str, room: str) -> str:
        langs = self.config.chambre.room_languages
        return langs.get(room) or langs.get(f"{backend}:{room}") or self.config.chambre.language

    async def deliver(self, msg: Incoming) -> None:
        """Handle one incoming message, once. Returns after the reply is in the outbox."""
        prefix = self.config.chambre.prefix
        if not is_command(msg.text, prefix):
            await note_speaker(self.db, msg)  # present at a session open in that room
            return
        if not self.is_organiser(msg.backend, msg.sender, msg.sender_is_organiser) and needs_organiser(msg.text, prefix):
            # About to be refused: the chat may know better than the backend's cache.
            backend = self.backends.get(msg.backend)
            if backend is not None and await backend.refresh_organiser(msg):
                msg = dataclasses.replace(msg, sender_is_organiser=True)
        changed = await self.db.run(lambda db: self._handle(db, msg))
        if changed is None:
            return
        self.notify(msg.backend)
        if changed and self.scheduler is not None:
            self.scheduler.wake()

    def _handle(self, db, msg: Incoming) -> set[str] | None:
        store = Store(db)
        now = self.clock.now()
        # Dates typed are read against the moment they were typed (a command handled after a
        # restart keeps its meaning), unless the sender's clock is ahead of ours.
        reference = min(msg.sent_at, now) if msg.sent_at else now
        with db.atomic():
            if store.was_handled(msg.backend, msg.event_id):
                return None
            ctx = Context(store=store, config=self.config, now=reference, lang=self.language(msg.backend, msg.room),
                          sender=msg.sender, room=msg.room, backend=msg.backend,
                          is_organiser=self.is_organiser(msg.backend, msg.sender, msg.sender_is_organiser),
                          event_id=msg.event_id)
            reply = dispatch(ctx, msg.text)
            if not msg.is_direct:  # a command is speaking too: present at a session open there
                session_svc.heard(store, msg.backend, msg.room, msg.sender, reference)
            if reply is not None:
                store.enqueue(send_key("reply", msg.backend, msg.event_id), msg.backend, reply.to_json(), now,
                              room=msg.room, reply_to=msg.event_id, thread=msg.thread)
            store.mark_handled(msg.backend, msg.event_id, now)
        return ctx.changed

    # ---- outgoing -------------------------------------------------------------------------------

    def route(self, target: str) -> tuple[str, str] | None:
        """A configured room name to (backend, room): `rocketchat:<channel>`, else Matrix.
        With only the console running, every post shows in the console."""
        if set(self.backends) == {CONSOLE}:
            return CONSOLE, CONSOLE
        if target.startswith("rocketchat:"):
            backend, room = "rocketchat", target.split(":", 1)[1]
        elif target.startswith("console:") or target == CONSOLE:
            backend, room = CONSOLE, CONSOLE
        else:
            backend, room = "matrix", target
        return (backend, room) if backend in self.backends else None

    def route_person(self, person: str) -> tuple[str, str] | None:
        """An organiser's id to (backend, user) for a direct message."""
        if set(self.backends) == {CONSOLE}:
            return CONSOLE, person
        if person.startswith("rocketchat:"):
            backend, user = "rocketchat", person.split(":", 1)[1]
        elif person.startswith("@") and ":" in person:
            backend, user = "matrix", person
        elif "rocketchat" in self.backends:
            backend, user = "rocketchat", person
        else:
            return None
        return (backend, user) if backend in self.backends else None

    def destination(self, target: str, dm: bool = False) -> tuple[str, str] | None:
        """Where a post goes: (backend, room) for a configured room, (backend, user) for a
        direct message; None when no running backend serves it."""
        return self.route_person(target) if dm else self.route(target)

    def enqueue_post(self, store: Store, name: str, body: Doc, destination: tuple[str, str], now: datetime,
                     dm: bool = False) -> bool:
        """Queue a scheduled post (in the caller's transaction) under a key derived from its
        name and destination (see `destination`)."""
        backend, where = destination
        key = send_key("post", name, backend, where)
        if dm:  # the console shows a direct message as such
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
        backoff = self.send_backoff
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
                               dm_user=row["dm_user"], reply_to=row["reply_to"], thread=row["thread"])
                taken = sent_parts.setdefault(row["id"], set())
                try:
                    for part in await self._parts(backend, out):
                        if part.send_key not in taken:
                            await backend.send(part)
                            taken.add(part.send_key)
                except RetryLater as err:
                    log.info("%s: send of %s postponed %.1fs: %s", name, out.send_key, err.delay, err)
                    await asyncio.sleep(max(err.delay, 0.05))
                    break
                except Exception as err:  # a refusal or a bug: keep the message, back off
                    log.exception("%s: send of %s failed", name, out.send_key)
                    attempts = await self.db.run(
                        lambda db, i=row["id"], e=repr(err): _atomic(db, lambda: Store(db).mark_failed(i, e)))
                    if attempts >= MAX_ATTEMPTS:
                        # One message the chat always refuses (a room the bot left) must not
                        # hold back every reply queued behind it.
                        log.error("%s: giving up on %s after %d attempts", name, out.send_key, attempts)
                        sent_parts.pop(row["id"], None)
                        now = self.clock.now()
                        await self.db.run(lambda db, i=row["id"]: _atomic(db, lambda: Store(db).give_up(i, now)))
                        continue
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 60.0)
                    break
                else:
                    backoff = self.send_backoff
                    sent_parts.pop(row["id"], None)
                    now = self.clock.now()
                    await self.db.run(lambda db, i=row["id"]: _atomic(db, lambda: Store(db).mark_sent(i, now)))
            wake.set()  # look again: more may have come, or a retry is due


    @staticmethod
    async def _parts(backend: Backend, out: Outgoing) -> list[Outgoing]:
        """`out` as the messages the chat takes. A reply that fits (nearly all) is measured
        here; splitting one that does not renders it a few dozen times (about 0.1 s for the
        largest list), off the event loop so that the chats are still heard meanwhile."""
        if backend.fits(out):
            return [out]
        return await asyncio.to_thread(message_parts, out, backend.fits)


def _atomic(db, fn):
    with db.atomic():
        return fn()
