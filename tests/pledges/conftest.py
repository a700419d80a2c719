"""The scheduler tests' recording chat and harness, for the pledgers' direct messages."""
from tests.scheduler.conftest import harness  # noqa: F401  (a fixture)
