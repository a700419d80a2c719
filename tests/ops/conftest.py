"""Fixtures for the operator's tests: the wheel installed in a fresh venv, once per run."""
from __future__ import annotations

import pytest

from tests.ops.install import Installed, build_and_install


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return build_and_install(tmp_path_factory.mktemp("wheel"))
