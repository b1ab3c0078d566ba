"""Web worker memory: how much one gunicorn worker holds after "a day of use".

    .venv/bin/python bench/memory.py                   # 30,000 requests (several town days)
    .venv/bin/python bench/memory.py --requests 2000   # a short run

One gunicorn worker (the Procfile's web settings, ``--workers 1``) serves ``wsgi:app`` on a
fresh SQLite file with the demo content, against the fake Messaging API served from this
process. Load, closed loop on loopback: webhook clients as in ``bench/webhook.py`` (follows,
keywords, free text, taps on the buttons just received) and console clients signed in as an
editor who walks the pages an officer opens every day — the dashboard, surveys, the results
page with each question's chart (matplotlib) and the words of free-text answers (counted
by the clock's `words` job, run once after seeding), the results workbook (openpyxl),
opinions, events and announcements.

The baseline is the same worker in the same run: its resident memory (VmRSS) right after
start, before any request. We sample VmRSS every second and report it after start, after
the warm-up (the first 10 % of requests, when charts and the analyser have loaded), at the
end and at its peak, and the growth per 10,000 requests over the second half (what would
keep growing over a day). Target: under 300 MB at the end, growth near zero.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhook import (  # noqa: E402
    GUNICORN,
    TOKEN,
    Client,
    Person,
    Target,
    app_env,
    cpu_model,
    prepare_database,
)
from bot.simulator.line_api import FakeLineApi, FakeLineServer  # noqa: E402
from tests import line  # noqa: E402

RESULTS = ROOT / "bench" / "results"
EMAIL, PASSWORD = "bench-editor@town.example.jp", "bench-password-0123456789"
SURVEY = "resident-2026"
PAGES = [
    "/admin/",
    "/admin/surveys",
    f"/admin/surveys/{SURVEY}",
    *(f"/admin/surveys/{SURVEY}/chart/{q}.png" for q in ("livability", "stay", "priorities")),
    f"/admin/surveys/{SURVEY}/answers/wishes",
    f"/admin/surveys/{SURVEY}/results.xlsx",  # the workbook (openpyxl), with the words
    "/admin/opinions",
    "/admin/events",
    "/admin/announcements",
]
TARGET_MB = 300
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB (VmRSS)."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return float("nan")


class Officer(threading.Thread):
    """A signed-in editor opening the console's everyday pages, one after another."""

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.stop = port, stop
        self.cookies: dict[str, str] = {}
        self.requests = 0
        self.errors: list[str] = []

    def call(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        self.requests += 1
        return response.status, data.decode("utf-8", "replace")

    def login(self) -> None:
        from urllib.parse import urlencode

        _, page = self.call("GET", "/admin/login")
        token = CSRF.search(page).group(1)
        form = urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        status, _ = self.call("POST", "/admin/login", form)
        if status != 302:
            raise RuntimeError(f"console sign-in failed: {status}")

    def run(self) -> None:
        try:
            self.login()
            while not self.stop.is_set():
                for path in PAGES:
                    status, _ = self.call("GET", path)
                    if status != 200:
                        self.errors.append(f"{path} {status}")
                    if self.stop.is_set():
                        break
        except (OSError, http.client.HTTPException, RuntimeError) as exc:
            self.errors.append(type(exc).__name__)


def seed(env: dict[str, str], work: Path) -> None:
    """The demo content, an editor, and 600 paper answers so charts and words have data."""
    from bench.paper_import import write_files
    from db.session import make_engine, make_session_factory

    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]

    def cli(*args: str, stdin: str | None = None) -> None:
        done = subprocess.run(
            [*flask, *args], input=stdin, cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    cli("content", "apply", str(ROOT / "content" / "demo"))
    cli("staff", "create", EMAIL, "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n")
    engine = make_engine(env["DATABASE_URL"])
    try:
        files = write_files(work, None, make_session_factory(engine), 600)
    finally:
        engine.dispose()
    cli("surveys", "import-answers", SURVEY, str(files["csv"]))
    cli("jobs", "run", "words")  # the clock counts the free-text words; workers read them


def worker_pid(target: Target) -> int:
    workers = [p for p in target.pids() if p != target.proc.pid]
    if len(workers) != 1:
        raise RuntimeError(f"expected one worker, found {workers}")
    return workers[0]


def run(args) -> dict:
    """One run: start the worker, load it, sample its memory; the figures."""
    work = Path(tempfile.mkdtemp(prefix="machikoe-membench-"))
    fake = FakeLineApi(access_token=TOKEN)
    server = FakeLineServer(fake).start()
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_"))}
        env = app_env(base, server.url, f"sqlite:///{work / 'memory.db'}")
        prepare_database(env, ROOT)
        seed(env, work)
        options = list(GUNICORN)
        options[options.index("--workers") + 1] = "1"
        target = Target("memory", "wsgi:app", env, work / "gunicorn.log", options=tuple(options))
        target.start()
        pid = worker_pid(target)
        start_mb = rss_mb(pid)
        stop = threading.Event()
        people = [Person(line.user_id(f"mem-{i}")) for i in range(args.residents)]
        for i, person in enumerate(people):
            fake.add_user(person.uid, f"住民{i}")
        clients = [
            Client(target.port, fake, people[c :: args.clients], seed=9000 + c, stop=stop)
            for c in range(args.clients)
        ]
        officers = [Officer(target.port, stop) for _ in range(args.officers)]
        samples: list[tuple[int, float]] = []
        started = time.perf_counter()
        for thread in (*clients, *officers):
            thread.start()
        done = 0
        try:
            while done < args.requests:
                time.sleep(1.0)
                done = sum(len(c.samples) for c in clients) + sum(o.requests for o in officers)
                samples.append((done, rss_mb(pid)))
                if time.perf_counter() - started > args.timeout:
                    break
        finally:
            stop.set()
            for thread in (*clients, *officers):
                thread.join(timeout=60)
            target.stop()
        seconds = time.perf_counter() - started
        return figures(args, samples, start_mb, seconds, clients, officers)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def figures(args, samples, start_mb, seconds, clients, officers) -> dict:
    """RSS after start, after warm-up, at the end and peak; growth over the second half."""
    total = samples[-1][0] if samples else 0
    warm = [mb for n, mb in samples if n >= 0.1 * total]
    half = [(n, mb) for n, mb in samples if n >= 0.5 * total]
    slope = 0.0
    if len(half) >= 2 and half[-1][0] > half[0][0]:
        xs, ys = [n for n, _ in half], [mb for _, mb in half]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        var = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0
    webhooks = sum(len(c.samples) for c in clients)
    pages = sum(o.requests for o in officers)
    failed = sum(1 for c in clients for s in c.samples if s.status != 200)
    return {
        "requests": total,
        "webhooks": webhooks,
        "console_pages": pages,
        "seconds": seconds,
        "start_mb": start_mb,
        "warm_mb": warm[0] if warm else float("nan"),
        "end_mb": samples[-1][1] if samples else float("nan"),
        "peak_mb": max((mb for _, mb in samples), default=float("nan")),
        "growth_mb_per_10k": slope * 10_000,
        "webhook_failures": failed,
        "console_errors": sorted({e for o in officers for e in o.errors})[:10],
        "webhook_errors": sorted({e for c in clients for e in c.errors})[:10],
        "violations": 0,
        "samples": samples,
    }


def markdown(r: dict, args, started: datetime) -> str:
    met = "yes" if r["end_mb"] < TARGET_MB and r["peak_mb"] < TARGET_MB else "**no**"
    return "\n".join(
        [
            f"- Date: {started:%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores "
            f"({cpu_model()}), Python {platform.python_version()}",
            f"- One gunicorn worker (`--workers 1 --threads 4`), SQLite, demo content; "
            f"{args.clients} webhook clients over {args.residents} residents and "
            f"{args.officers} signed-in editors walking {len(PAGES)} console pages.",
            f"- {r['requests']:,} requests ({r['webhooks']:,} webhooks, "
            f"{r['console_pages']:,} console pages) in {r['seconds']:.0f} s; webhook "
            f"failures {r['webhook_failures']}, console errors {r['console_errors'] or 'none'}.",
            "",
            "| worker RSS | MB |",
            "|---|---:|",
            f"| after start (baseline) | {r['start_mb']:.0f} |",
            f"| after warm-up (10 % of requests) | {r['warm_mb']:.0f} |",
            f"| at the end | {r['end_mb']:.0f} |",
            f"| peak | {r['peak_mb']:.0f} |",
            f"| growth per 10,000 requests, second half | {r['growth_mb_per_10k']:+.1f} |",
            f"| end ÷ baseline | {r['end_mb'] / r['start_mb']:.2f} |",
            f"| under {TARGET_MB} MB | {met} |",
            "",
        ]
    )


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument("--clients", type=int, default=6, help="webhook clients")
    parser.add_argument("--officers", type=int, default=2, help="console clients")
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds at most")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    started = datetime.now(UTC)
    result = run(args)
    text = markdown(result, args, started)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"memory-{started:%Y%m%dT%H%M%SZ}"
    out.with_suffix(".json").write_text(json.dumps({"args": vars(args), "result": result}))
    out.with_suffix(".md").write_text(text)
    ok = not result["console_errors"] and result["webhook_failures"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
