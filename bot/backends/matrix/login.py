"""Who the bot is on the homeserver: the first-start check of the address, the login, and the
device kept across restarts.

Synapse deduplicates transaction ids per device, which is what makes a resend after a crash
harmless; so the access token and device id are kept in BackendState and reused, and a
password login after a revoked token asks for the same device.
"""
from __future__ import annotations

import logging

from bot.backends.base import BackendConfigError, BackendState
from bot.backends.matrix.lifecycle import Lifecycle
from bot.backends.matrix.transport import MatrixError, MatrixLoginError, NotAHomeserver, Transport, Unavailable
from bot.backoff import Backoff
from bot.config import MatrixConfig

log = logging.getLogger(__name__)


class Login:
    def __init__(self, transport: Transport, config: MatrixConfig, state: BackendState) -> None:
        self.transport, self.config, self.state = transport, config, state
        self.user_id: str = config.user_id
        self.device_id: str | None = None

    async def connected_before(self) -> bool:
        stored = await self.state.get("homeserver")
        if stored is not None:
            return stored == self.config.homeserver
        # A database from before the address was kept: a sync or a login means it was reached.
        return bool(await self.state.get("sync_token")) or (
            bool(await self.state.get("access_token")) and await self.state.get("user_id") == self.config.user_id)

    async def reach(self, life: Lifecycle, backoff: Backoff, first_start_timeout: float, probe_timeout: float) -> None:
        """Until the configured address answers as a homeserver. Once the bot has been
        connected to it, an outage is waited out however long it lasts; on a first start, an
        address that never answered as a homeserver is a mistake in the configuration, said
        at once when something else answers, else after `first_start_timeout` seconds."""
        known = await self.connected_before()
        url = self.config.homeserver
        clock = life.clock
        started = clock.now()
        backoff.succeeded()
        while True:
            life.check()
            try:
                await self.transport.probe(probe_timeout)
                break
            except NotAHomeserver as e:
                if not known:
                    raise BackendConfigError(f"matrix: {url} is not a Matrix homeserver (it answered {e} to "
                                             "/_matrix/client/versions); check [matrix] homeserver") from None
                delay = backoff.failed()
                log.warning("matrix: homeserver answers %s; retrying in %.1fs", e, delay)
            except Unavailable as e:
                delay = backoff.failed()
                waited = (clock.now() - started).total_seconds()
                if not known and waited + delay > first_start_timeout:
                    raise BackendConfigError(f"matrix: no Matrix homeserver answered at {url} for "
                                             f"{first_start_timeout:g} seconds ({e}); check [matrix] homeserver "
                                             "and that the server runs") from None
                log.warning("matrix: homeserver away (%s); retrying in %.1fs", e, delay)
            await life.sleep(delay)
        if not known:
            await self.state.set("homeserver", url)

    async def login(self) -> None:
        client = self.transport.client
        # The environment variables are read once, by the configuration loader.
        configured = self.config.access_token
        if configured:
            client.access_token = configured
            who = await self.transport.call(client.whoami())
            self.user_id = who.user_id or self.user_id
            self.device_id = who.device_id
            return
        same_user = await self.state.get("user_id") == self.config.user_id
        stored = await self.state.get("access_token") if same_user else None
        device_id = await self.state.get("device_id") if same_user else None
        if stored:
            client.restore_login(self.config.user_id, device_id or "", stored)
            try:
                who = await self.transport.call(client.whoami())
                self.device_id = who.device_id or device_id
                client.device_id = self.device_id
                return
            except MatrixError as e:
                if e.errcode != "M_UNKNOWN_TOKEN":
                    raise
                log.warning("matrix: the stored access token was revoked; logging in again")
                client.access_token = ""
        password = self.config.password
        if not password:
            raise MatrixLoginError(
                "matrix: no access token and no password (set [matrix] password or "
                "CHAMBRE_MATRIX_PASSWORD for the first start)"
            )
        # A password login asking for the stored device: the same device after a restart or
        # a revoked token, so that Synapse's transaction-id dedup still holds.
        client.user = self.config.user_id
        client.device_id = device_id or ""
        try:
            r = await self.transport.call(client.login(password, device_name=self.config.device_name))
        except MatrixError as e:
            if e.rate_limited:
                raise
            raise MatrixLoginError(f"matrix: login as {self.config.user_id} refused: {e}") from None
        self.user_id = r.user_id
        self.device_id = r.device_id
        # The device id first: should we die between the two writes, the next login still
        # asks for the same device.
        await self.state.set("user_id", self.config.user_id)
        await self.state.set("device_id", self.device_id)
        await self.state.set("access_token", r.access_token)

    async def forget_token(self) -> None:
        """The homeserver refused the token: the next login() uses the password."""
        await self.state.set("access_token", "")
        self.transport.client.access_token = ""
