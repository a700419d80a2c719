"""The wheel, built from this source and installed in a fresh virtual environment outside
the source tree, as an operator installs it: the operator tests run that `chambre-bot`.

Fast on purpose: the wheel is built without build isolation (the test venv has setuptools,
from the test extra); the fresh venv is made without pip (the test venv's pip installs into
it); and the dependencies come from a folder of wheels kept in .venv/wheelhouse, filled from
PyPI through pip's cache the first time and again whenever the wheel's requirements change.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the build reads; the rest of the tree (tests, .venv, .git) stays out of the copy.
SOURCE = ("pyproject.toml", "README.md", "bot", "commands", "storage")


@dataclass
class Installed:
    venv: Path
    wheel: Path
    seconds: dict[str, float]

    @property
    def script(self) -> Path:
        return self.venv / "bin" / "chambre-bot"

    def run(self, *args: str, stdin: str = "", cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("CHAMBRE_", "PYTHON", "VIRTUAL_ENV"))}
        return subprocess.run([str(self.script), *args], input=stdin, capture_output=True, text=True,
                              cwd=cwd or self.venv.parent, env={**clean, **(env or {})}, timeout=timeout)


def _pip(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"pip {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        lines = zf.read(meta).decode().splitlines()
    # The runtime requirements only: the extras' are not installed with the wheel.
    return sorted(line.split(":", 1)[1].strip() for line in lines
                  if line.startswith("Requires-Dist:") and "extra ==" not in line)


def wheelhouse(wheel: Path) -> Path:
    """A folder with a wheel of every runtime dependency, kept between runs."""
    key = hashlib.sha256("\n".join(requirements(wheel)).encode()).hexdigest()[:16]
    folder = ROOT / ".venv" / "wheelhouse" / key
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _pip("wheel", "--quiet", "--wheel-dir", str(folder), *requirements(wheel))
        (folder / ".complete").touch()
    return folder


def build_and_install(tmp: Path) -> Installed:
    seconds: dict[str, float] = {}
    start = time.monotonic()
    src = tmp / "src"
    for name in SOURCE:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, src / name)
    dist = tmp / "dist"
    _pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(dist), str(src))
    [wheel] = dist.glob("chambre_bot-*.whl")
    seconds["build"] = time.monotonic() - start

    start = time.monotonic()
    house = wheelhouse(wheel)
    seconds["wheelhouse"] = time.monotonic() - start

    start = time.monotonic()
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    # --no-compile: the bytecode is written at first import instead, of what is imported only.
    _pip("--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-index", "--no-compile",
         "--find-links", str(house), str(wheel))
    seconds["install"] = time.monotonic() - start
    shutil.rmtree(src)  # nothing of the source is left to lean on
    return Installed(venv, wheel, seconds)
