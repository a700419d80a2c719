"""Who the bot is on the homeserver: the first-start check of the address, the login, and the
device kept across restarts.

Synapse deduplicates transaction ids per device, which is what makes a resend after a crash
harmless; so the access token and device id are kept in BackendState and reused, and a
password login after a revoked token asks for the same device.

A device is also its encryption keys, kept in the crypto store (crypto.py). A device id
whose keys are no longer in the store (the store lost or wiped, or a first start with
encryption) is never used again: the server and other people's clients hold its old keys,
which the new ones would clash with. The bot logs in as a new device instead, and says which
old one to remove.
"""
from __future__ import annotations

import logging

from bot.backends.base import BackendConfigError, BackendState
from bot.backends.matrix.crypto import Crypto, CryptoStoreError
from bot.backends.matrix.lifecycle import Lifecycle
from bot.backends.matrix.transport import MatrixError, MatrixLoginError, NotAHomeserver, Transport, Unavailable
from bot.backoff import Backoff
from bot.config import MatrixConfig

log = logging.getLogger(__name__)


class Login:
    def __init__(self, transport: Transport, config: MatrixConfig, state: BackendState, crypto: Crypto) -> None:
        self.transport, self.config, self.state, self.crypto = transport, config, state, crypto
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
        if known:
            # Connected before: the login or the first sync finds out soon enough whether it
            # is there (and waits it out), without a request of its own at every start.
            return
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
        """Logged in, with the device's keys loaded from the crypto store (nio loads them
        when it learns the device: `restore_login`, `login`, `load_store`)."""
        client = self.transport.client
        # The environment variables are read once, by the configuration loader.
        if self.config.access_token:
            await self._login_with_token(self.config.access_token)
            return
        same_user = await self.state.get("user_id") == self.config.user_id
        stored = await self.state.get("access_token") if same_user else None
        device_id = await self.state.get("device_id") if same_user else None
        if device_id and not self.crypto.has_account(self.config.user_id, device_id):
            self._leave_device(device_id)
            stored, device_id = None, None
        if stored and device_id:
            # No whoami: a revoked token shows at the first sync, which logs in again.
            client.restore_login(self.config.user_id, device_id, stored)
            self.device_id = device_id
            return
        await self._login_with_password(device_id)

    async def _login_with_password(self, device_id: str | None) -> None:
        client = self.transport.client
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
        if device_id is None:
            log.info("matrix: logged in as %s on a new device, %s", self.user_id, self.device_id)

    async def _login_with_token(self, token: str) -> None:
        """A configured access token is used as is; its device comes from whoami. It cannot
        make a new device: a lost store with it is the operator's to mend."""
        client = self.transport.client
        client.access_token = token
        who = await self.transport.call(client.whoami())
        self.user_id = who.user_id or self.user_id
        self.device_id = who.device_id
        if not self.device_id:
            raise CryptoStoreError("matrix: the configured access_token names no device, and encryption needs one: "
                                   "use a token from a login (or a password)")
        if not self.crypto.has_account(self.user_id, self.device_id) and await self.crypto.made_for() == self.device_id:
            raise self._lost_with_token()
        client.user_id, client.device_id = self.user_id, self.device_id
        client.load_store()

    def _lost_with_token(self) -> CryptoStoreError:
        return CryptoStoreError(
            f"matrix: the crypto store has no keys for device {self.device_id}, which the configured access_token "
            f"belongs to (the store was lost or wiped, or restored from an older copy); that device cannot be used "
            f"again. Remove device {self.device_id} from the bot's account, and give a password instead of the "
            "token (the bot then makes a new device), or a token of a new device")

    def _leave_device(self, device_id: str) -> None:
        log.warning("matrix: the crypto store %s holds no keys for device %s (a first start with encryption, or a "
                    "store lost or wiped): logging in as a new device. Remove device %s from the bot's account "
                    "(Element: Settings, Sessions), or members' clients go on encrypting for it",
                    self.config.store_path, device_id, device_id)

    async def new_device(self, why: str) -> None:
        """The homeserver already holds other keys for the device (this store is not the one
        it was made with): forget the device and log in as a new one, on a fresh client."""
        old = self.device_id
        if self.config.access_token:
            raise self._lost_with_token()
        log.warning("matrix: the homeserver refused the keys of device %s (%s)", old, why)
        if old:
            self._leave_device(old)
        await self.state.set("access_token", "")
        await self.transport.close()
        self.transport.open()
        await self._login_with_password(None)

    async def forget_token(self) -> None:
        """The homeserver refused the token: the next login() uses the password."""
        await self.state.set("access_token", "")
        self.transport.client.access_token = ""
