"""The core tests' fixtures: a Chat on a real SQLite file, the installed command line."""
from tests.core.conftest import chat  # noqa: F401  (a fixture)
from tests.scheduler.conftest import harness  # noqa: F401,E402  (a fixture)
