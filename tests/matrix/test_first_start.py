"""`chambre-bot run` against a wrong Matrix configuration: on a first start, an address that
never answered as a homeserver (a closed port, a name that does not resolve, a plain web
server) and a refused login are configuration errors, said in one sentence with exit status
1; a bot that has been connected to its homeserver waits out an outage however long."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

import pytest
from aiohttp import web

from bot.backends.base import BackendConfigError
from bot.backends.matrix import MatrixBackend
from bot.config import MatrixConfig
from tests.core.conftest import chambre_bot
from tests.matrix.conftest import STORE_KEY, crypto_settings, unique
from tests.support import MemoryState, wait_until


async def run_bot(tmp_path: Path, homeserver: str, user_id: str, password: str) -> tuple[int, str]:
    """`chambre-bot run` on a configuration naming that homeserver: (exit status, stderr)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[chambre]\ndatabase = "{tmp_path / "chambre.db"}"\n\n[matrix]\nhomeserver = "{homeserver}"\n'
                      f'user_id = "{user_id}"\npassword = "{password}"\nstore_key = "{STORE_KEY}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    proc = await asyncio.create_subprocess_exec(*chambre_bot(), "run", "-c", str(config), env=env,
                                                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("chambre-bot run did not stop on its own") from None
    return proc.returncode, err.decode()


@pytest.fixture
async def web_server():
    """A plain web server on 127.0.0.1, as a mistyped address might reach: a page for GET,
    501 for the rest (as python -m http.server answers)."""
    async def page(request: web.Request) -> web.Response:
        if request.method == "GET":
            return web.Response(status=404, text="<html><body>Not found</body></html>", content_type="text/html")
        return web.Response(status=501, text="<html><body>Unsupported method</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there once the socket is closed


def backend(homeserver: str, where: Path, state: MemoryState | None = None) -> MatrixBackend:
    b = MatrixBackend(MatrixConfig(homeserver=homeserver, user_id="@chambre:example.org", password="secret",
                                   **crypto_settings(where)),
                      state or MemoryState())
    b.first_start_timeout, b.probe_timeout, b.backoff_first, b.backoff_max = 1.0, 1.0, 0.05, 0.2
    return b


async def deliver(msg) -> None:  # nothing arrives in these tests
    raise AssertionError(msg)


async def test_run_against_a_plain_web_server_says_so_and_exits_1(web_server: str, tmp_path: Path):
    status, err = await run_bot(tmp_path, web_server, "@chambre:example.org", "secret")
    assert status == 1
    assert f"matrix: {web_server} is not a Matrix homeserver" in err and "check [matrix] homeserver" in err
    assert "Traceback" not in err and "away" not in err and "secret" not in err


@pytest.mark.parametrize("where", ["closed port", "unknown name"])
async def test_first_start_with_no_homeserver_there_is_a_configuration_error(where: str, tmp_path: Path):
    url = closed_port() if where == "closed port" else "http://chambre-nowhere.invalid:8008"
    with pytest.raises(BackendConfigError) as raised:
        await backend(url, tmp_path).run(deliver)
    assert str(raised.value).startswith(f"matrix: no Matrix homeserver answered at {url} for 1 seconds (")


async def test_first_start_with_a_plain_web_server_fails_at_once(web_server: str, tmp_path: Path):
    b = backend(web_server, tmp_path)
    b.first_start_timeout = 3600  # not waited for: something answered, and it is not Matrix
    with pytest.raises(BackendConfigError, match="is not a Matrix homeserver .it answered HTTP 404"):
        await b.run(deliver)


async def test_once_connected_an_unreachable_homeserver_is_waited_for(caplog: pytest.LogCaptureFixture,
                                                                     tmp_path: Path):
    url = closed_port()
    state = MemoryState()
    state.data["homeserver"] = url  # this bot has been connected to it before
    b = backend(url, tmp_path, state)
    b.first_start_timeout = 0.1
    caplog.set_level(logging.WARNING, logger="bot.backends.matrix")
    task = asyncio.create_task(b.run(deliver))

    def retries() -> int:
        return sum("homeserver away" in r.getMessage() for r in caplog.records)

    # Six retries at 0.05, 0.1, 0.2, 0.2... seconds: well past the first-start limit.
    await wait_until(lambda: retries() >= 6 or task.done(), 20, "no retries")
    assert not task.done()
    await b.stop()
    await asyncio.wait_for(task, 10)


async def test_run_with_a_wrong_password_says_so_without_a_traceback(running_synapse, tmp_path: Path):
    account = running_synapse.register(unique("bot"))
    status, err = await run_bot(tmp_path, running_synapse.url, account.user_id, "not-the-password")
    assert status == 1
    assert f"matrix: login as {account.user_id} refused" in err
    assert "Traceback" not in err and "not-the-password" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
