"""A real Synapse for the Matrix tests and the benchmark: started from the venv, on
127.0.0.1, in a temporary directory, with nothing downloaded or installed.

Synchronous on purpose (subprocess + urllib) so that one session-scoped instance can serve
tests that each run on their own event loop.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SERVER_NAME = "localhost"

_HOMESERVER_YAML = """\
server_name: "{server_name}"
pid_file: "{dir}/homeserver.pid"
public_baseurl: "http://127.0.0.1:{port}/"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{dir}/homeserver.db"
log_config: "{dir}/log.yaml"
media_store_path: "{dir}/media"
signing_key_path: "{dir}/signing.key"
registration_shared_secret: "{secret}"
macaroon_secret_key: "{macaroon}"
form_secret: "{form}"
report_stats: false
enable_registration: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
presence:
  enabled: false
bcrypt_rounds: 4
url_preview_enabled: false
caches:
  sync_response_cache_duration: 0
# rc_message stays at Synapse's default (0.2/s, burst 10): every account that must send
# fast gets override_ratelimit, as the bot's account should in production.
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_joins:
  local: {{per_second: 1000, burst_count: 1000}}
  remote: {{per_second: 1000, burst_count: 1000}}
rc_joins_per_room: {{per_second: 1000, burst_count: 1000}}
rc_invites:
  per_room: {{per_second: 1000, burst_count: 1000}}
  per_user: {{per_second: 1000, burst_count: 1000}}
  per_issuer: {{per_second: 1000, burst_count: 1000}}
rc_room_creation: {{per_second: 1000, burst_count: 1000}}
rc_admin_redaction: {{per_second: 1000, burst_count: 1000}}
rc_profile: {{per_second: 1000, burst_count: 1000}}
"""

_LOG_YAML = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: "{dir}/homeserver.log"
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Account:
    user_id: str
    password: str
    access_token: str
    device_id: str


class Synapse:
    """One homeserver process. `start()`, `stop()`, `restart()`; `register(name)`."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secret = secrets.token_hex(16)
        self.proc: subprocess.Popen | None = None
        self._admin: Account | None = None
        self._write_config()

    @property
    def config_path(self) -> Path:
        return self.dir / "homeserver.yaml"

    def _write_config(self) -> None:
        (self.dir / "media").mkdir(exist_ok=True)
        (self.dir / "log.yaml").write_text(_LOG_YAML.format(dir=self.dir))
        self.config_path.write_text(
            _HOMESERVER_YAML.format(
                server_name=SERVER_NAME,
                dir=self.dir,
                port=self.port,
                secret=self.secret,
                macaroon=secrets.token_hex(16),
                form=secrets.token_hex(16),
            )
        )
        key = self.dir / "signing.key"
        if not key.exists():
            from signedjson.key import generate_signing_key, write_signing_keys

            with key.open("w") as f:
                write_signing_keys(f, [generate_signing_key("a_test")])

    # -- process ---------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        assert self.proc is None, "already running"
        out = open(self.dir / "stdout.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.dir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killing it touches nothing else
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"synapse exited with {self.proc.returncode}:\n" + self.log_tail()
                )
            try:
                with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("synapse did not become ready:\n" + self.log_tail())

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, n: int = 40) -> str:
        lines: list[str] = []
        for name in ("stdout.log", "homeserver.log"):
            p = self.dir / name
            if p.exists():
                lines += p.read_text(errors="replace").splitlines()[-n:]
        return "\n".join(lines)

    # -- admin API -----------------------------------------------------------------------------

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read()!r}") from None

    def register(self, localpart: str, password: str | None = None, admin: bool = False,
                 fast: bool = True) -> Account:
        """Register through the shared-secret admin API. `fast` lifts the message rate limit."""
        password = password or secrets.token_hex(8)
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        r = self.request("POST", "/_synapse/admin/v1/register", {
            "nonce": nonce, "username": localpart, "password": password,
            "admin": admin, "mac": mac.hexdigest(),
        })
        account = Account(r["user_id"], password, r["access_token"], r["device_id"])
        if fast:
            self.override_ratelimit(account.user_id)
        return account

    def admin(self) -> Account:
        if self._admin is None:
            self._admin = self.register("admin-" + secrets.token_hex(3), admin=True, fast=False)
        return self._admin

    def override_ratelimit(self, user_id: str) -> None:
        self.request(
            "POST", f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit",
            {"messages_per_second": 0, "burst_count": 0}, token=self.admin().access_token,
        )

    def devices(self, user_id: str) -> list[str]:
        r = self.request("GET", f"/_synapse/admin/v2/users/{urllib.parse.quote(user_id)}/devices",
                         token=self.admin().access_token)
        return sorted(d["device_id"] for d in r["devices"])


if __name__ == "__main__":  # a quick manual check: start, register, stop
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        t = time.monotonic()
        s = Synapse(Path(d))
        s.start()
        print("ready in", round(time.monotonic() - t, 2), "s at", s.url)
        print(s.register("alice"))
        s.stop()
