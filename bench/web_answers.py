"""Web answers beside the webhook: does the web answer page slow LINE's acknowledgements?

    .venv/bin/python bench/web_answers.py             # 3 rounds of 1,000 answers per database
    .venv/bin/python bench/web_answers.py --quick     # a short smoke run (100 answers, 1 round)

Per database (SQLite, and PostgreSQL when its binaries are installed) gunicorn serves
``wsgi:app`` with the Procfile's settings on a migrated database with the demo content
(``content/demo``; the open survey ``resident-2026`` gets dates around now when the real
clock is outside them) and the fake Messaging API. Each round creates ``--answers`` fresh
invitation codes, then runs the webhook load of ``bench/webhook.py`` (its closed-loop
signed-webhook clients) continuously through two measured phases of equal length:

- *alone*: the webhook load only (the baseline);
- *web*: the same load while ``--web-clients`` threads submit the round's answers, each
  walking the whole form for one code at a time (code, eligibility, one question per screen,
  confirmation, send) on a keep-alive connection from its own loopback address
  (127.x.y.z: one address per answer, like one phone each, so the per-address limits of the
  product apply unchanged).

The web phase lasts until the last answer is sent; the alone phase is given the same
length. Phases alternate in order over ``--reps`` rounds and we report medians. After each
round the database must hold exactly ``answers × rounds`` web responses and every code of
the round must be used. Everything stays on 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import platform
import queue
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
PROCFILE = ROOT / "Procfile"
sys.path.insert(0, str(ROOT))

from bench.webhook import (  # noqa: E402
    GUNICORN,
    TOKEN,
    Client,
    Person,
    Target,
    app_env,
    cpu_model,
    cpu_seconds,
    machine_busy,
    ours,
    percentile,
)
from bot.simulator.line_api import FakeLineApi, FakeLineServer  # noqa: E402
from tests import line  # noqa: E402

SURVEY = "resident-2026"
DEMO = ROOT / "content" / "demo"
RESULTS = ROOT / "bench" / "results"
TARGET_P99_RATIO = 1.5
GAP = 1.0  # seconds between the phases, so one phase's tail does not count in the other
MAX_STEPS = 40  # screens one answer may take before it counts as an error
WISHES = ["駅前に本屋がほしい", "バスを増やしてほしい", "冬の除雪をお願いします", "公園がほしい"]

SCREEN_RE = re.compile(r'name="screen" value="([^"]*)"')
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
OPTION_RE = re.compile(r'type="(radio|checkbox)" name="a" value="([^"]*)"')


# --- the database -------------------------------------------------------------------------


def demo_content(work: Path, now: datetime) -> Path:
    """A copy of content/demo whose resident survey is open at `now` (dates moved if needed)."""
    copy = work / "content"
    shutil.copytree(DEMO, copy, dirs_exist_ok=True)
    path = copy / f"survey-{SURVEY}.yml"
    text = path.read_text()
    opens = datetime.fromisoformat(re.search(r"^opens_at: (\S+)", text, re.M).group(1))
    closes = datetime.fromisoformat(re.search(r"^closes_at: (\S+)", text, re.M).group(1))
    if not opens <= now < closes - timedelta(hours=2):
        jst = now.astimezone(opens.tzinfo)
        text = re.sub(
            r"^opens_at: \S+",
            f"opens_at: {(jst - timedelta(days=1)).isoformat()}",
            text,
            flags=re.M,
        )
        text = re.sub(
            r"^closes_at: \S+",
            f"closes_at: {(jst + timedelta(days=30)).isoformat()}",
            text,
            flags=re.M,
        )
        path.write_text(text)
    return copy


def prepare(env: dict[str, str], work: Path) -> None:
    """Migrate, then apply the demo content (town included) with the real CLI commands.

    They run in this process through Flask's CLI runner (the same commands as
    ``flask --app wsgi db upgrade`` and ``content apply``), which saves two app start-ups.
    """
    from bot import create_app
    from bot.config import load_settings

    content = demo_content(work, datetime.now(UTC))
    app = create_app(load_settings({**env, "LOG_LEVEL": "WARNING"}))
    runner = app.test_cli_runner()
    try:
        for command in (["db", "upgrade"], ["content", "apply", str(content)]):
            done = runner.invoke(args=command)
            if done.exit_code != 0:
                raise RuntimeError(f"{' '.join(command)} failed:\n{done.output}")
    finally:
        app.extensions["machikoe"].engine.dispose()


class Store:
    """The bench's own connection to the app's database: codes in, verification out."""

    def __init__(self, url: str) -> None:
        from db.models import metadata
        from db.session import make_engine, make_session_factory

        metadata()  # every table (the area modules' too)
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def codes(self, n: int) -> list[str]:
        """`n` fresh invitation codes for the survey (only their hashes are stored)."""
        from db.session import transaction
        from handlers import invitations

        with transaction(self.sessions) as s:
            return invitations.create(s, SURVEY, n)

    def verify(self, codes: list[str]) -> dict:
        """Web answers stored (written, or held in the anonymous pool until their group has
        five), and how many of these codes are used / have drafts."""
        from sqlalchemy import func, select

        from db.anonymous_pool import PendingAnswer
        from db.survey_channels import SurveyDraft, SurveyInvitation
        from db.surveys import SurveyResponse
        from handlers import invitations

        hashes = [invitations.code_hash(c) for c in codes]
        with self.sessions() as s:
            web = s.scalar(
                select(func.count())
                .select_from(SurveyResponse)
                .where(SurveyResponse.survey_id == SURVEY, SurveyResponse.channel == "web")
            ) + s.scalar(
                select(func.count())
                .select_from(PendingAnswer)
                .where(PendingAnswer.survey_id == SURVEY, PendingAnswer.channel == "web")
            )
            used = drafts = 0
            for i in range(0, len(hashes), 500):
                part = hashes[i : i + 500]
                used += s.scalar(
                    select(func.count())
                    .select_from(SurveyInvitation)
                    .where(SurveyInvitation.code_hash.in_(part), SurveyInvitation.used.is_(True))
                )
                drafts += s.scalar(
                    select(func.count())
                    .select_from(SurveyDraft)
                    .where(SurveyDraft.code_hash.in_(part))
                )
        return {"web_responses": web, "codes_used": used, "drafts_left": drafts}

    def close(self) -> None:
        self.engine.dispose()


# --- one person on the web page --------------------------------------------------------------


class Phone:
    """One browser: one keep-alive connection from its own loopback address, its cookies."""

    def __init__(self, port: int, address: str) -> None:
        self.conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=30, source_address=(address, 0)
        )
        self.cookies: dict[str, str] = {}
        self.requests = 0

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None):
        """(status, location, body) of one request; the cookies are kept."""
        headers = {"Accept-Language": "ja"}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        self.requests += 1
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in cookie and "1970" not in cookie:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if response.will_close:
            self.conn.close()
        location = response.getheader("Location") or ""
        return response.status, urlsplit(location).path if location else "", text

    def post_then_follow(self, path: str, form: list[tuple[str, str]]):
        """POST, expect the 303, and GET where it leads (post-redirect-get)."""
        status, location, text = self.request("POST", path, form)
        if status != 303:
            raise Refused(f"POST {path.rsplit('/', 1)[-1]} → {status}")
        status, _, text = self.request("GET", location)
        if status != 200:
            raise Refused(f"GET {location.rsplit('/', 1)[-1]} → {status}")
        return location, text

    def close(self) -> None:
        self.conn.close()


class Refused(Exception):
    """The page answered something a person walking the form should not get."""


def choose(page: str, screen: str, rng: random.Random) -> tuple[str, list[str]]:
    """(action, values) a person gives on this screen."""
    options = [(kind, html.unescape(v)) for kind, v in OPTION_RE.findall(page)]
    if screen == "p:residency":
        return "next", ["resident"]
    if screen == "p:age_band":
        return "next", [rng.choice([v for _, v in options][1:])]  # not 15 or under
    if "<textarea" in page:
        if 'value="skip"' in page and rng.random() < 0.4:
            return "skip", []
        return "next", [rng.choice(WISHES)]
    values = [v for _, v in options]
    if options and options[0][0] == "checkbox":
        return "next", rng.sample(values, rng.randint(1, min(2, len(values))))
    return "next", [rng.choice(values)]


def walk(phone: Phone, code: str, rng: random.Random) -> None:
    """Answer the whole survey with one code, as a person would; raise Refused otherwise."""
    base = f"/s/{SURVEY}"
    status, _, page = phone.request("GET", base)
    if status != 200 or 'name="code"' not in page:
        raise Refused(f"GET start → {status}")
    token = TOKEN_RE.search(page).group(1)
    where, page = phone.post_then_follow(base, [("csrf_token", token), ("code", code)])
    for _ in range(MAX_STEPS):
        token = TOKEN_RE.search(page).group(1)
        if f'action="{base}/submit"' in page:
            where, page = phone.post_then_follow(f"{base}/submit", [("csrf_token", token)])
            if not where.endswith("/thanks"):
                raise Refused(f"submit led to {where}")
            return
        found = SCREEN_RE.search(page)
        if found is None:
            raise Refused("a page without a form")
        screen = found.group(1)
        action, values = choose(page, screen, rng)
        form = [("csrf_token", token), ("screen", screen), ("action", action)]
        form += [("a", v) for v in values]
        where, page = phone.post_then_follow(f"{base}/q", form)
    raise Refused("too many screens")


@dataclass
class WebStats:
    """What the web clients did in one phase."""

    done: list[float] = field(default_factory=list)  # seconds per completed answer
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def address(rep: int, i: int) -> str:
    """A loopback address of its own for answer `i` of round `rep`."""
    return f"127.{20 + rep % 200}.{i // 250}.{i % 250 + 1}"


def web_load(port: int, codes: list[str], clients: int, rep: int, deadline: float) -> WebStats:
    """Submit one answer per code with `clients` threads; return when all are done."""
    todo: queue.Queue[tuple[int, str]] = queue.Queue()
    for i, code in enumerate(codes):
        todo.put((i, code))
    stats = WebStats()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            try:
                i, code = todo.get_nowait()
            except queue.Empty:
                return
            phone = Phone(port, address(rep, i))
            start = time.perf_counter()
            try:
                walk(phone, code, rng)
                took, error = time.perf_counter() - start, None
            except (OSError, http.client.HTTPException, Refused, AttributeError) as exc:
                took, error = None, f"{type(exc).__name__}: {exc}"[:80]
            finally:
                phone.close()
            with stats.lock:
                stats.requests += phone.requests
                if error is None:
                    stats.done.append(took)
                else:
                    stats.errors.append(error)

    threads = [
        threading.Thread(target=worker, args=(1000 * rep + c,), daemon=True) for c in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 35))
    return stats


# --- one round ------------------------------------------------------------------------------


def window(target: Target, pids: list[int]) -> tuple[float, float, float, float]:
    """(wall clock, server CPU seconds, machine busy jiffies, machine total jiffies)."""
    return (time.perf_counter(), cpu_seconds(pids), *machine_busy())


def phase_figures(samples, start, end) -> dict:
    """Webhook figures for the samples acknowledged inside [start, end]."""
    mine = [s for s in samples if start[0] <= s.end <= end[0]]
    ok = [s.end - s.start for s in mine if s.status == 200]
    wall = end[0] - start[0]
    return {
        "seconds": wall,
        "requests": len(mine),
        "failed": len(mine) - len(ok),
        "rps": len(ok) / wall if wall > 0 else float("nan"),
        "p50": percentile(ok, 0.50),
        "p99": percentile(ok, 0.99),
        "max": max(ok, default=float("nan")),
        "server_cpu": (end[1] - start[1]) / wall if wall > 0 else float("nan"),
        "machine_busy": (end[2] - start[2]) / max(1, end[3] - start[3]),
    }


def round_once(
    target: Target, survey: Target, store: Store, fake: FakeLineApi, args, rep: int, length
) -> dict:
    """One round: both phases (order alternating) under one continuous webhook load.

    ``survey`` serves the web answers: the webhook's own gunicorn (layout *shared*) or the
    Procfile's separate ``survey`` process (layout *split*).
    """
    codes = store.codes(args.answers)
    before = store.verify([])["web_responses"]
    fake.clear()
    people = [Person(line.user_id(f"webbench-{rep}-{i}")) for i in range(args.residents)]
    for i, person in enumerate(people):
        fake.add_user(person.uid, f"住民{i}", language="en" if i % 10 == 0 else "ja")
    stop = threading.Event()
    clients = [
        Client(target.port, fake, people[c :: args.clients], seed=7000 + 1000 * rep + c, stop=stop)
        for c in range(args.clients)
    ]
    pids = sorted({*target.pids(), *survey.pids()})
    web_first = rep % 2 == 0 or length is None
    phases: dict[str, tuple] = {}
    web: WebStats | None = None
    try:
        for client in clients:
            client.start()
        time.sleep(args.warmup)
        for phase in ("web", "alone") if web_first else ("alone", "web"):
            start = window(target, pids)
            if phase == "web":
                deadline = time.monotonic() + args.web_timeout
                web = web_load(survey.port, codes, args.web_clients, rep, deadline)
                length = time.perf_counter() - start[0]
            else:
                time.sleep(length)
            phases[phase] = (start, window(target, pids))
            time.sleep(GAP)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
    samples = [s for c in clients for s in c.samples]
    result = {"rep": rep, "order": "web first" if web_first else "alone first"}
    for phase, (start, end) in phases.items():
        result[phase] = phase_figures(samples, start, end)
    result["webhook_errors"] = sorted({e for c in clients for e in c.errors})
    result["violations"] = len(fake.violations)
    check = store.verify(codes)
    result["answers"] = {
        "asked": len(codes),
        "completed": len(web.done),
        "errors": len(web.errors),
        "error_kinds": sorted(set(web.errors))[:10],
        "requests": web.requests,
        "median": statistics.median(web.done) if web.done else float("nan"),
        "p95": percentile(web.done, 0.95),
        "per_second": len(web.done) / result["web"]["seconds"],
        "new_web_responses": check["web_responses"] - before,
        "codes_used": check["codes_used"],
        "drafts_left": check["drafts_left"],
    }
    result["verified"] = (
        result["answers"]["new_web_responses"] == len(codes)
        and check["codes_used"] == len(codes)
        and check["drafts_left"] == 0
    )
    result["length"] = length
    return result


def survey_process(env: dict[str, str], log: Path) -> Target:
    """The Procfile's ``survey`` process: its own gunicorn, at a lower CPU priority."""
    line = next(x for x in PROCFILE.read_text().splitlines() if x.startswith("survey:"))
    words = line.split(":", 1)[1].split()
    prefix = tuple(words[: words.index("gunicorn")])
    options = [w for w in words[words.index("gunicorn") + 1 :] if w != "wsgi:app"]
    drop = options.index("--bind")  # the bench binds its own port
    options = options[:drop] + options[drop + 2 :]
    workers = options.index("--workers") + 1
    options[workers] = env.get("SURVEY_CONCURRENCY", "1")
    return Target("survey", "wsgi:app", env, log, prefix=prefix, options=tuple(options))


def run_database(
    kind: str, layout: str, url: str, fake_url: str, fake: FakeLineApi, work: Path, args
) -> dict:
    """Start gunicorn on one database, run every round, stop; the rounds and their medians."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_"))}
    env = app_env(base, fake_url, url)
    prepare(env, work / f"{kind}-{layout}")
    target = ours(f"web-{kind}", env, work / f"{kind}-{layout}.log")  # web + its worker
    survey = target
    if layout == "split":
        survey = survey_process(env, work / f"{kind}-{layout}-survey.log")
    store = Store(url)
    rounds = []
    try:
        target.start()
        if survey is not target:
            survey.start()
        length = None
        for rep in range(args.reps):
            r = round_once(target, survey, store, fake, args, rep, length)
            length = r["length"]
            rounds.append(r)
            if args.verbose:
                print(describe(f"{kind}/{layout}", r), flush=True)
        total = store.verify([])["web_responses"]
    finally:
        target.stop()
        if survey is not target:
            survey.stop()
        store.close()
    return {
        "database": kind,
        "layout": layout,
        "survey_command": " ".join([*survey.prefix, "gunicorn", *survey.options]),
        "rounds": rounds,
        "summary": summarise(rounds),
        "web_responses_total": total,
        "verified": all(r["verified"] for r in rounds) and total == args.answers * args.reps,
    }


def describe(kind: str, r: dict) -> str:
    a, w, x = r["alone"], r["web"], r["answers"]
    return (
        f"{kind:12} round {r['rep'] + 1} ({r['order']}, {r['length']:.1f} s each): "
        f"webhook alone {a['rps']:.0f} req/s p50 {a['p50'] * 1000:.0f} p99 {a['p99'] * 1000:.0f} ms"
        f" | with web {w['rps']:.0f} req/s p50 {w['p50'] * 1000:.0f} p99 {w['p99'] * 1000:.0f} ms"
        f" | web {x['completed']}/{x['asked']} done, median {x['median']:.2f} s, p95 "
        f"{x['p95']:.2f} s, errors {x['errors']} | verified {r['verified']}"
    )


def summarise(rounds: list[dict]) -> dict:
    """Medians over rounds, and the ratios web/alone of the medians."""
    med = lambda path: statistics.median(path(r) for r in rounds)  # noqa: E731
    out = {}
    for phase in ("alone", "web"):
        for key in ("rps", "p50", "p99", "server_cpu", "machine_busy", "seconds"):
            out[f"{phase}_{key}"] = med(lambda r, p=phase, k=key: r[p][k])
        out[f"{phase}_failed"] = sum(r[phase]["failed"] for r in rounds)
        out[f"{phase}_requests"] = sum(r[phase]["requests"] for r in rounds)
    for key in ("rps", "p50", "p99"):
        out[f"ratio_{key}"] = out[f"web_{key}"] / out[f"alone_{key}"]
        out[f"ratio_{key}_per_round"] = [r["web"][key] / r["alone"][key] for r in rounds]
    for key in ("median", "p95", "per_second"):
        out[f"answer_{key}"] = med(lambda r, k=key: r["answers"][k])
    out["answers_completed"] = sum(r["answers"]["completed"] for r in rounds)
    out["answers_asked"] = sum(r["answers"]["asked"] for r in rounds)
    out["answer_errors"] = sum(r["answers"]["errors"] for r in rounds)
    out["answer_requests"] = sum(r["answers"]["requests"] for r in rounds)
    out["violations"] = sum(r["violations"] for r in rounds)
    return out


# --- report ---------------------------------------------------------------------------------


def markdown(results: list[dict], args, started: datetime) -> str:
    """The figures as Markdown (the caller appends them to docs/performance.md)."""
    rows = [
        "| database | phase | webhook req/s | p50 ms | p99 ms | failed | server CPU "
        "| machine busy |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    ratio_rows = [
        "| database | req/s b/a | p50 b/a | p99 b/a | p99 b/a per round | p99 ≤ 1.5× |",
        "|---|---:|---:|---:|---|---|",
    ]
    web_rows = [
        "| database | answers done | errors | per answer median s | p95 s | answers/s | requests "
        "| web responses | codes used | verified |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for res in results:
        s, db = res["summary"], f"{res['database']} ({res['layout']})"
        for phase, label in (("alone", "(a) webhook alone"), ("web", "(b) with web answers")):
            rows.append(
                f"| {db} | {label} | {s[f'{phase}_rps']:.0f} | {s[f'{phase}_p50'] * 1000:.0f} "
                f"| {s[f'{phase}_p99'] * 1000:.0f} | {s[f'{phase}_failed']}/"
                f"{s[f'{phase}_requests']} | {s[f'{phase}_server_cpu']:.2f} "
                f"| {s[f'{phase}_machine_busy'] * 100:.0f}% |"
            )
        per_round = ", ".join(f"{x:.2f}" for x in s["ratio_p99_per_round"])
        met = "yes" if s["ratio_p99"] <= TARGET_P99_RATIO else "**no**"
        ratio_rows.append(
            f"| {db} | {s['ratio_rps']:.2f} | {s['ratio_p50']:.2f} | {s['ratio_p99']:.2f} "
            f"| {per_round} | {met} |"
        )
        used = sum(r["answers"]["codes_used"] for r in res["rounds"])
        web_rows.append(
            f"| {db} | {s['answers_completed']}/{s['answers_asked']} | {s['answer_errors']} "
            f"| {s['answer_median']:.2f} | {s['answer_p95']:.2f} | {s['answer_per_second']:.1f} "
            f"| {s['answer_requests']} | {res['web_responses_total']} | {used} "
            f"| {'yes' if res['verified'] else '**no**'} |"
        )
    per_run = [
        "| database | round | order | seconds | a req/s | a p99 ms | b req/s | b p99 ms "
        "| answers | median s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for r in res["rounds"]:
            a, b, x = r["alone"], r["web"], r["answers"]
            per_run.append(
                f"| {res['database']} ({res['layout']}) | {r['rep'] + 1} | {r['order']} "
                f"| {r['length']:.1f} "
                f"| {a['rps']:.0f} | {a['p99'] * 1000:.0f} | {b['rps']:.0f} "
                f"| {b['p99'] * 1000:.0f} | {x['completed']} | {x['median']:.2f} |"
            )
    return "\n".join(
        [
            f"- Date: {started:%Y-%m-%d %H:%M} UTC",
            f"- Machine: {os.cpu_count()} cores ({cpu_model()}), Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}",
            f"- gunicorn `{' '.join(GUNICORN)}` (the Procfile's web process) on each database; "
            "layout *shared*: the web answers go to it too; layout *split*: they go to the "
            f"Procfile's survey process, `{results[-1].get('survey_command', '')}`.",
            f"- Load: webhook {args.clients} closed-loop keep-alive clients over {args.residents} "
            f"residents (bench/webhook.py's mix), {args.warmup:g} s warm-up; web "
            f"{args.answers} answers per round by {args.web_clients} client threads, one "
            "loopback address and keep-alive connection per answer, no think time; "
            f"{args.reps} rounds, phase order alternating.",
            f"- Load average (1 min) at start {args.load[0]:.1f}, at end {args.load[1]:.1f}.",
            "",
            "Webhook acknowledgements, medians over rounds:",
            "",
            *rows,
            "",
            "Ratios (b) / (a) of the medians:",
            "",
            *ratio_rows,
            "",
            "Web answers (whole form: code, 2 eligibility screens, 6–8 questions, confirmation, "
            "send — about 20–25 requests each):",
            "",
            *web_rows,
            "",
            "<details><summary>Every round</summary>",
            "",
            *per_run,
            "",
            "</details>",
            "",
        ]
    )


# --- main ----------------------------------------------------------------------------------


def run(args) -> list[dict]:
    """Every database in turn with one fake Messaging API; the results per database."""
    work = Path(tempfile.mkdtemp(prefix="machikoe-webbench-"))
    fake = FakeLineApi(access_token=TOKEN)
    server = FakeLineServer(fake).start()
    pg = None
    results = []
    try:
        for kind in args.databases:
            if kind == "pg":
                from tests.pg import PgServer

                try:
                    pg = PgServer().start()
                except Exception as exc:
                    print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
                    continue
                url = pg.database("webbench")
            else:
                url = f"sqlite:///{work / 'web.db'}"
            for layout in args.layouts:
                (work / f"{kind}-{layout}").mkdir()
                here = url if layout == args.layouts[0] else fresh(kind, layout, work, pg)
                results.append(run_database(kind, layout, here, server.url, fake, work, args))
    finally:
        server.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def fresh(kind: str, layout: str, work: Path, pg) -> str:
    """An empty database of the same kind for the next layout."""
    if kind == "pg":
        return pg.database(f"webbench_{layout}")
    return f"sqlite:///{work / f'web-{layout}.db'}"


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1000, help="web answers per round")
    parser.add_argument("--web-clients", type=int, default=30, help="web client threads")
    parser.add_argument("--clients", type=int, default=16, help="webhook clients")
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--reps", type=int, default=3, help="rounds per database")
    parser.add_argument("--web-timeout", type=float, default=900.0, help="seconds per web phase")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--only", choices=["sqlite", "pg"], help="this database only")
    parser.add_argument(
        "--layout",
        choices=["shared", "split", "both"],
        default="both",
        help="web answers on the webhook's gunicorn (shared), on the Procfile's survey "
        "process (split), or each in turn (both)",
    )
    parser.add_argument("--quick", action="store_true", help="100 answers, 1 round")
    parser.add_argument("--quiet", dest="verbose", action="store_false")
    args = parser.parse_args(argv)
    if args.quick:
        args.answers, args.reps = 100, 1
    args.layouts = ["shared", "split"] if args.layout == "both" else [args.layout]
    args.databases = [args.only] if args.only else ["sqlite"] if args.no_pg else ["sqlite", "pg"]
    return args


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    started = datetime.now(UTC)
    args.load = [os.getloadavg()[0], float("nan")]
    results = run(args)
    args.load[1] = os.getloadavg()[0]
    text = markdown(results, args, started)
    print()
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"web_answers-{stamp}"
    out.with_suffix(".json").write_text(
        json.dumps({"args": vars(args), "results": results}, indent=1, default=str)
    )
    out.with_suffix(".md").write_text(text)
    print(f"written to {out.relative_to(ROOT)}.json and .md")
    return 0 if all(res["verified"] for res in results) else 1


if __name__ == "__main__":
    sys.exit(main())
