"""Matrix benchmark: the bot's command-to-reply time beside a plain client's, on one Synapse.

    .venv/bin/python bench/bench_matrix.py [--rounds 200] [--commands 1000] [--burst 500] [--starts 10]

Starts its own Synapse (tests/matrix/synapse.py) in a temporary directory, then measures:
- the start: `chambre-bot run` launched, a command typed in an encrypted room at the same
  instant; launch -> ready (the bot's log says its first sync is done) and launch -> first
  reply (seen by the client that typed it). Once on a fresh database (login, keys made and
  uploaded; in a plain room), then `--starts` times on the same database, as every later
  start is.
- round trips, interleaved: A sends "ping", B (a plain nio client with its own sync loop)
  answers at once (the plain-client floor); A sends "!agenda" in a plain room, then in an
  encrypted one, the bot answers. A's client encrypts and decrypts (it has its own crypto
  store, as Element has). Median, p99 and the ratios.
- after a restart with the bot left to log in and sync, the first command's round trip
  beside the steady median (no first-use penalty).
- the RSS of the bot process after `--commands` commands in the encrypted room.
- a burst of `--burst` commands from 5 users at once: all answered, none twice, drain time
  and p99 latency.

The bot is `chambre-bot run -c config.toml` in a subprocess, as in production. With
`--echo`, or while the core's App is not there, it is the Matrix backend alone behind a
core that answers every message at once (`--echo-bot`): the backend's own overhead.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nio import AsyncClient, AsyncClientConfig, RoomPreset  # noqa: E402
from nio.store import SqliteStore  # noqa: E402

from tests.matrix.synapse import Account, Synapse  # noqa: E402


ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


class Client:
    """A nio client with its own long-poll sync loop that timestamps every reply it sees."""

    def __init__(self, synapse: Synapse, account: Account, store: Path | None = None) -> None:
        self.user_id = account.user_id
        if store is None:
            self.nio = AsyncClient(synapse.url, account.user_id, device_id=account.device_id,
                                   config=AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False))
            self.nio.access_token = account.access_token
            self.nio.user_id = account.user_id
        else:  # a client that encrypts, with its own device and store
            store.mkdir(parents=True, exist_ok=True)
            self.nio = AsyncClient(synapse.url, account.user_id, device_id=account.device_id, store_path=str(store),
                                   config=AsyncClientConfig(store_sync_tokens=False, encryption_enabled=True,
                                                            store=SqliteStore, pickle_key="bench-client-key"))
            self.nio.restore_login(account.user_id, account.device_id, account.access_token)
        self.seen: dict[str, float] = {}  # in_reply_to -> first time seen
        self.count: dict[str, int] = {}  # in_reply_to -> number of replies
        self.changed = asyncio.Event()
        self.on_message: Any = None  # async callback(room_id, event) for echo clients
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        r = await self.nio.sync(timeout=0, full_state=True, sync_filter={"room": {"timeline": {"limit": 1}}})
        self._since = r.next_batch
        await self.keys()
        self._task = asyncio.create_task(self._loop())

    async def keys(self) -> None:
        """What an encrypting client does after a sync (nothing for a plain one)."""
        if self.nio.olm is None:
            return
        if self.nio.should_upload_keys:
            await self.nio.keys_upload()
        if self.nio.should_query_keys:
            await self.nio.keys_query()
        if self.nio.should_claim_keys:
            await self.nio.keys_claim(self.nio.get_users_for_key_claiming())
        await self.nio.send_to_device_messages()

    async def _loop(self) -> None:
        types = ["m.room.message", "m.room.encrypted", "m.room.member", "m.room.encryption"]
        while True:
            r = await self.nio.sync(timeout=30000, since=self._since,
                                    sync_filter={"presence": {"types": []},
                                                 "room": {"timeline": {"types": types, "limit": 1000},
                                                          "state": {"types": types[2:]}, "ephemeral": {"types": []}}})
            if not hasattr(r, "next_batch"):
                await asyncio.sleep(0.1)
                continue
            now = time.perf_counter()
            self._since = r.next_batch
            await self.keys()
            for room_id, room in r.rooms.join.items():
                for ev in room.timeline.events:
                    src = ev.source
                    if src.get("sender") == self.user_id:
                        continue
                    rel = (src.get("content", {}).get("m.relates_to") or {}).get("m.in_reply_to") or {}
                    target = rel.get("event_id")
                    if target:
                        self.seen.setdefault(target, now)
                        self.count[target] = self.count.get(target, 0) + 1
                    elif self.on_message is not None:
                        await self.on_message(room_id, src)
            self.changed.set()

    async def send(self, room_id: str, body: str) -> tuple[str, float]:
        t = time.perf_counter()
        r = await self.nio.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                                     ignore_unverified_devices=True)
        assert hasattr(r, "event_id"), r
        return r.event_id, t

    async def wait_reply(self, event_id: str, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        while event_id not in self.seen:
            self.changed.clear()
            if event_id in self.seen:
                break
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no reply to {event_id}")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.seen[event_id]

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self.nio.close()


async def echo(client: Client, room_id: str, src: dict) -> None:
    """B answers every "ping" at once, as a reply."""
    if src.get("content", {}).get("body", "").startswith("ping"):
        await client.nio.room_send(room_id, "m.room.message", {
            "msgtype": "m.notice", "body": "pong",
            "m.relates_to": {"m.in_reply_to": {"event_id": src["event_id"]}}})


# -- the bot process ----------------------------------------------------------------------------

def have_app() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("bot.app", "bot.cli"))


def write_bot_config(workdir: Path, synapse: Synapse, bot: Account, rooms: list[str]) -> Path:
    cfg = workdir / "config.toml"
    cfg.write_text(
        "[chambre]\n"
        f'database = "{workdir / "chambre.db"}"\n'
        'language = "fr"\n'
        "[matrix]\n"
        f'homeserver = "{synapse.url}"\n'
        f'user_id = "{bot.user_id}"\n'
        f'password = "{bot.password}"\n'
        f"rooms = {json.dumps(rooms)}\n"
        f'store_path = "{workdir / "chambre.db.crypto"}"\n'
        'store_key = "bench-store-key-0123456789"\n'
    )
    return cfg


# The bot as installed beside this Python; --bot names another installation (say, a venv
# with no test extra, where pycryptodome does without cffi, as in production).
BOT_EXE = str(Path(sys.executable).parent / "chambre-bot")


def start_bot(cfg: Path, echo_mode: bool) -> subprocess.Popen:
    if echo_mode:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--echo-bot", str(cfg)]
    else:
        cmd = [BOT_EXE, "run", "-c", str(cfg), "--log-level", "info"]
    log = open(cfg.parent / "bot.log", "ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc


def stop_bot(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def echo_bot(cfg_path: str) -> None:
    """The Matrix backend behind a core that answers at once (used with --echo)."""
    import logging
    import signal
    import tomllib

    from bot.backends.base import Outgoing
    from bot.backends.matrix import MatrixBackend
    from bot.config import MatrixConfig
    from bot.richtext import Doc
    from tests.support import MemoryState

    logging.basicConfig(level=logging.INFO)
    logging.getLogger("nio").setLevel(logging.ERROR)
    data = tomllib.loads(Path(cfg_path).read_text())["matrix"]
    backend = MatrixBackend(MatrixConfig(**data), MemoryState())
    queue: asyncio.Queue = asyncio.Queue()

    async def deliver(msg):  # noqa: ANN001
        await queue.put(Outgoing(send_key="reply:" + msg.event_id, room=msg.room,
                                 body=Doc.text("Agenda : rien de prévu."), reply_to=msg.event_id))

    async def pump() -> None:
        while True:
            out = await queue.get()
            await backend.send(out)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    runner = asyncio.create_task(backend.run(deliver))
    pumper = asyncio.create_task(pump())
    await stop.wait()
    pumper.cancel()
    await backend.stop()
    await runner


# -- the measurements ----------------------------------------------------------------------------

def cpu_s(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed_start(cfg: Path, echo_mode: bool, client: Client, room: str,
                      command: str) -> tuple[subprocess.Popen, float, float, float]:
    """Launch the bot and type `command` at the same instant: (the process, launch -> ready,
    launch -> the reply seen by the client, the bot's CPU seconds by then). Ready: the bot's
    log says its first sync is done."""
    log = cfg.parent / "bot.log"
    offset = log.stat().st_size if log.exists() else 0
    t0 = time.perf_counter()
    proc = start_bot(cfg, echo_mode)
    ev, _ = await client.send(room, command)
    ready = None
    reply = asyncio.create_task(client.wait_reply(ev, timeout=60))
    while ready is None:
        with log.open("rb") as fh:
            fh.seek(offset)
            if b"caught up" in fh.read():
                ready = time.perf_counter() - t0
                break
        if proc.poll() is not None:
            raise RuntimeError(f"the bot stopped: see {log}")
        if time.perf_counter() - t0 > 60:
            raise TimeoutError("the bot never said it was caught up")
        await asyncio.sleep(0.002)
    got = await reply
    return proc, ready, got - t0, cpu_s(proc.pid)


def summary(values: list[float]) -> dict:
    return {"median_s": round(statistics.median(values), 3), "min_s": round(min(values), 3),
            "max_s": round(max(values), 3)}


async def bench(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-matrix-"))
    synapse = Synapse(workdir / "synapse")
    synapse.start()
    clients: list[Client] = []
    proc = None
    results: dict[str, Any] = {"bot": "echo backend (no core)" if args.echo else "chambre-bot run"}
    try:
        bot = synapse.register("chambre")
        a = Client(synapse, synapse.register("alice"), store=workdir / "alice-crypto")
        b = Client(synapse, synapse.register("bob"))
        users = [Client(synapse, synapse.register(f"user{i}")) for i in range(5)]
        clients += [a, b, *users]
        # Four rooms, so that no measurement pays for another's listeners: the plain pair, A
        # with the bot in a plain and in an encrypted room, and the burst room where only A
        # reads (the 5 typists do not sync).
        plain_room = (await a.nio.room_create(invite=[b.user_id], preset=RoomPreset.private_chat)).room_id
        await b.nio.join(plain_room)
        bot_room = (await a.nio.room_create(invite=[bot.user_id], preset=RoomPreset.private_chat)).room_id
        secret_room = (await a.nio.room_create(invite=[bot.user_id], preset=RoomPreset.private_chat,
                                               initial_state=[ENCRYPTION])).room_id
        burst_room = (await a.nio.room_create(invite=[bot.user_id, *[u.user_id for u in users]],
                                              preset=RoomPreset.private_chat)).room_id
        for u in users:
            await u.nio.join(burst_room)
        b.on_message = lambda room_id, src: echo(b, room_id, src)
        await a.start()
        await b.start()
        cfg = write_bot_config(workdir, synapse, bot, [bot_room, secret_room, burst_room])

        # 1. the start: first on a fresh database (in the plain room: the bot has no device yet
        # for A's client to encrypt for), then as every later start is, in the encrypted room
        proc, ready, reply, cpu = await timed_start(cfg, args.echo, a, bot_room, args.command)
        results["first_start"] = {"launch_to_ready_s": round(ready, 3), "launch_to_first_reply_s": round(reply, 3),
                                  "bot_cpu_s": round(cpu, 2)}
        readies, replies, cpus = [], [], []
        for _ in range(args.starts):
            stop_bot(proc)
            proc, ready, reply, cpu = await timed_start(cfg, args.echo, a, secret_room, args.command)
            readies.append(ready)
            replies.append(reply)
            cpus.append(cpu)
        results["later_starts"] = args.starts
        results["launch_to_ready"] = summary(readies)
        results["launch_to_first_reply"] = summary(replies)
        results["bot_cpu_by_first_reply"] = summary(cpus)
        results["load_average_1min"] = os.getloadavg()[0]

        # 2. round trips, interleaved so that all see the same machine
        plain: list[float] = []
        botrt: list[float] = []
        secret: list[float] = []
        for i in range(args.rounds):
            ev, t = await a.send(plain_room, f"ping {i}")
            plain.append(await a.wait_reply(ev) - t)
            ev, t = await a.send(bot_room, args.command)
            botrt.append(await a.wait_reply(ev) - t)
            ev, t = await a.send(secret_room, args.command)
            secret.append(await a.wait_reply(ev) - t)
        for name, values in (("plain_client", plain), ("bot_plain_room", botrt), ("bot_encrypted_room", secret)):
            results[name] = {"median_ms": round(statistics.median(values) * 1000, 1),
                             "p99_ms": round(pct(values, 99) * 1000, 1)}
        results["ratio_median"] = round(statistics.median(botrt) / statistics.median(plain), 2)
        results["ratio_p99"] = round(pct(botrt, 99) / pct(plain, 99), 2)
        results["encrypted_ratio_median"] = round(statistics.median(secret) / statistics.median(plain), 2)
        results["encrypted_ratio_p99"] = round(pct(secret, 99) / pct(plain, 99), 2)
        results["encrypted_vs_plain_room_median"] = round(statistics.median(secret) / statistics.median(botrt), 2)

        # 3. RSS after N encrypted commands (sent in windows of 20 so the room is not one huge burst)
        done = args.rounds + args.starts + 1
        pending: list[str] = []
        for i in range(max(0, args.commands - done)):
            ev, _ = await a.send(secret_room, args.command)
            pending.append(ev)
            if len(pending) >= 20:
                for e in pending:
                    await a.wait_reply(e)
                pending.clear()
        for e in pending:
            await a.wait_reply(e)
        results["rss_after_encrypted_commands"] = args.commands
        results["rss_mb"] = round(rss_mb(proc.pid), 1)

        # 4. a burst from 5 users at once (a plain room)
        if args.burst:
            per_user = args.burst // len(users)
            sent: list[tuple[Client, str, float]] = []

            async def type_all(u: Client) -> None:
                for i in range(per_user):
                    ev, t = await u.send(burst_room, args.command)
                    sent.append((a, ev, t))  # A watches the burst room for everyone

            t0 = time.perf_counter()
            await asyncio.gather(*(type_all(u) for u in users))
            results["burst_send_s"] = round(time.perf_counter() - t0, 2)
            lat = []
            for u, ev, t in sent:
                lat.append(await u.wait_reply(ev, timeout=120) - t)
            drained = max(u.seen[ev] for u, ev, _ in sent) - t0
            await asyncio.sleep(1.0)  # a duplicate would show by now
            counts = [u.count.get(ev, 0) for u, ev, _ in sent]
            results["burst_commands"] = len(sent)
            results["burst_answered"] = sum(1 for c in counts if c >= 1)
            results["burst_answered_twice"] = sum(1 for c in counts if c > 1)
            results["burst_drain_s"] = round(drained, 2)
            results["burst_p99_ms"] = round(pct(lat, 99) * 1000, 1)
            results["burst_median_ms"] = round(statistics.median(lat) * 1000, 1)
            results["rss_mb_after_burst"] = round(rss_mb(proc.pid), 1)

        # 5. the first command once the bot is up is as fast as the rest: restart the bot,
        # let it log in and sync (no command typed meanwhile), then time one command and
        # compare it with a plain round trip taken just before and the steady median above.
        stop_bot(proc)
        proc = start_bot(cfg, args.echo)
        await asyncio.sleep(8.0)
        ev, t = await a.send(plain_room, "ping ready")
        plain_now = await a.wait_reply(ev) - t
        ev, t = await a.send(secret_room, args.command)
        first_ready = await a.wait_reply(ev, timeout=60) - t
        results["first_encrypted_command_after_ready_ms"] = round(first_ready * 1000, 1)
        results["plain_round_trip_just_before_ms"] = round(plain_now * 1000, 1)
        results["first_command_vs_encrypted_median"] = round(first_ready / statistics.median(secret), 2)
    finally:
        if proc is not None:
            stop_bot(proc)
        for c in clients:
            await c.close()
        synapse.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("kept", workdir, file=sys.stderr)
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--commands", type=int, default=1000)
    p.add_argument("--burst", type=int, default=500, help="0: no burst")
    p.add_argument("--starts", type=int, default=10, help="timed starts on the same database")
    p.add_argument("--command", default="!agenda")
    p.add_argument("--echo", action="store_true", help="the backend alone behind an answering stub")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--echo-bot", metavar="CONFIG", help=argparse.SUPPRESS)
    p.add_argument("--bot", metavar="EXE", help="the chambre-bot executable to run (default: this venv's)")
    args = p.parse_args()
    if args.bot:
        global BOT_EXE
        BOT_EXE = args.bot
    if args.echo_bot:
        asyncio.run(echo_bot(args.echo_bot))
        return
    if not args.echo and not have_app():
        print("bot.app / bot.cli not there yet: measuring the backend alone (--echo)", file=sys.stderr)
        args.echo = True
    results = asyncio.run(bench(args))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if results.get("ratio_median", 9) > 1.15 or results.get("ratio_p99", 9) > 1.5:
        print("note: above target (median <= 1.15x, p99 <= 1.5x)", file=sys.stderr)
    if results.get("launch_to_first_reply", {}).get("median_s", 9) >= 1.0:
        print("note: launch -> first reply above target (< 1 s)", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
