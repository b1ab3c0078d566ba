"""Packaging: the locks hold every package exactly, with hashes, and match pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _locked(path: Path) -> dict[str, list[str]]:
    """name -> the hashes of its one pinned version, read from a uv-generated lock."""
    locked: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line)
        if match:
            current = match.group(1).lower().replace("_", "-")
            assert current not in locked, f"{path.name}: {current} pinned twice"
            locked[current] = []
        elif line.strip().startswith("--hash=sha256:"):
            assert current, f"{path.name}: a hash before any package"
            locked[current].append(line.strip())
        else:
            raise AssertionError(f"{path.name}: not an exact pin or hash: {line!r}")
    return locked


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_locked_package_is_exact_and_hashed():
    for name in ("requirements.txt", "requirements-dev.txt"):
        locked = _locked(ROOT / name)
        assert len(locked) > 40, name  # the whole set, not only the top level
        for package, hashes in locked.items():
            assert hashes, f"{name}: {package} has no hash"


def test_locks_hold_what_pyproject_declares():
    project = _project()
    runtime = _locked(ROOT / "requirements.txt")
    dev = _locked(ROOT / "requirements-dev.txt")
    for requirement in project["dependencies"]:
        assert _name(requirement) in runtime, requirement
        assert _name(requirement) in dev, requirement
    for requirement in project["optional-dependencies"]["dev"]:
        assert _name(requirement) in dev, requirement
    for package in runtime:  # the dev lock is the runtime lock plus the test tools
        assert dev[package] == runtime[package], package


def test_python_version_is_pinned_to_the_oldest_supported():
    pinned = (ROOT / ".python-version").read_text().strip()
    assert _project()["requires-python"] == f">={pinned}"


def test_no_dead_font_package():
    runtime = _locked(ROOT / "requirements.txt")
    assert "japanize-matplotlib" not in runtime  # imports distutils, gone in Python 3.12
    assert "matplotlib-fontja" in runtime
