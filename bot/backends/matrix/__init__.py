"""The Matrix backend, one module per job:

- `transport.py`: the matrix-nio AsyncClient (public API only) and what its errors mean;
- `crypto.py`: encrypted rooms: the crypto store, the keys, decrypting, encrypting, what
  cannot be read;
- `lifecycle.py`: the stop event and the waits it cuts short (on the clock, with the backoff);
- `login.py`: the first-start check of the address, the login, the device kept across restarts;
- `rooms.py`: the configured rooms, aliases, which invites are accepted;
- `direct.py`: one direct-message room per organiser (`m.direct`);
- `power.py`: who is an organiser by power level (and, from room version 12, as creator);
- `sync.py`: the sync loop, the gaps it fills, what counts as a command, when the
  homeserver last answered (the backend's `status()`);
- `send.py`: what a reply looks like, its size, and what a failed send means;
- `backend.py`: MatrixBackend, the parts put together behind bot/backends/base.py.

docs/matrix.md says what each promises and how it is tested.
"""
from bot.backends.matrix.backend import MatrixBackend
from bot.backends.matrix.send import MAX_CONTENT_BYTES, content_size

__all__ = ["MAX_CONTENT_BYTES", "MatrixBackend", "content_size"]
