"""The Procfile's roles as commands a benchmark can start, so it measures what production runs.

``command("worker", env)`` reads the ``worker:`` line, expands ``${VAR:-default}`` from
``env``, and returns the settings of a leading ``env VAR=value`` and the argv (``flask`` and
``gunicorn`` run with this Python, ``nice -n N`` kept in front).
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def roles(procfile: Path = ROOT / "Procfile") -> dict[str, str]:
    """Each role's command line, as written."""
    lines = procfile.read_text().splitlines()
    return {
        name.strip(): rest.strip()
        for name, _, rest in (line.partition(":") for line in lines if line.strip())
    }


def command(role: str, env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """(settings, argv) for one role; KeyError if the Procfile has no such role."""
    line = _DEFAULTED.sub(lambda m: env.get(m[1], m[2]), roles()[role])
    words = shlex.split(line)
    settings: dict[str, str] = {}
    if words[:1] == ["env"]:
        words.pop(0)
        while words and "=" in words[0] and not words[0].startswith("-"):
            name, _, value = words.pop(0).partition("=")
            settings[name] = value
    prefix: list[str] = []
    if words[:1] == ["nice"]:
        prefix, words = words[:3], words[3:]
    if words[:1] in (["flask"], ["gunicorn"]):
        words = [sys.executable, "-m", *words]
    return settings, [*prefix, *words]
