"""The container files agree with the Procfile, the lock and the pinned Python.

Docker itself is not run here (no daemon on the test machines); docs/operations.md says how
an operator builds and starts it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _procfile() -> dict[str, str]:
    roles = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        role, command = line.split(":", 1)
        roles[role.strip()] = command.strip()
    return roles


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _command(service: dict) -> str:
    """A compose command as the Procfile would write it (compose's $$ is a literal $)."""
    command = service["command"]
    match = re.fullmatch(r"sh -c 'exec (.*)'", command)
    return (match.group(1) if match else command).replace("$$", "$")


def test_every_procfile_role_is_a_compose_service_with_the_same_command():
    services = _compose()["services"]
    roles = _procfile()
    assert set(roles) == {"web", "clock", "release", "survey", "worker"}
    assert _command(services["migrate"]) == roles["release"]
    for role in ("web", "clock", "survey", "worker"):
        assert _command(services[role]) == roles[role], role


def test_the_image_default_command_is_the_web_role():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r'^CMD \["sh", "-c", "exec (.*)"\]$', dockerfile, re.M).group(1)
    assert cmd == _procfile()["web"]


def test_the_image_installs_the_lock_with_hashes_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes" in dockerfile and "-r /tmp/requirements.txt" in dockerfile
    assert "COPY requirements.txt " in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "gcc" not in final and "build-essential" not in final and "apt-get" not in final


def test_the_image_python_is_the_pinned_one():
    pinned = (ROOT / ".python-version").read_text().strip()
    images = re.findall(r"^FROM python:(\d+\.\d+)-slim", (ROOT / "Dockerfile").read_text(), re.M)
    assert images and set(images) == {pinned}


def test_the_image_holds_every_package_the_app_imports():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench"} <= copied
    assert {"content", "vendor"} <= copied  # demo content; the fake API's OpenAPI files


def test_postgres_has_a_named_volume_and_a_health_check_the_app_waits_for():
    compose = _compose()
    db = compose["services"]["db"]
    assert "pgdata" in compose["volumes"] and any(v.startswith("pgdata:") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    migrate = compose["services"]["migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    for role in ("web", "clock", "survey", "worker"):
        waits = compose["services"][role]["depends_on"]["migrate"]["condition"]
        assert waits == "service_completed_successfully", role


def test_the_access_log_leaves_out_query_strings():
    """A web answer link carries the invitation code in its query string."""
    config: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), config)  # noqa: S102 - our own config file
    fmt = config["access_log_format"]
    assert "%(U)s" in fmt and "%(r)s" not in fmt and "%(q)s" not in fmt
    assert "gunicorn.conf.py" in (ROOT / "Dockerfile").read_text()
