"""Anonymous answers against someone who holds the database (issue #20.2), on both databases.

Residents answer an anonymous survey in LINE (signed webhooks), by web code and on paper over
several days; the attacker then reads every table raw — SQLite `rowid`, PostgreSQL `ctid` and
`xmin` — plus residents, completions, webhook events, invitation codes and paper sheets, and
tries to link each written response to the person who gave it. The truth is known to the test
only: each person's free-text answer is a token of their own. While the survey is open the
attacker also reads the holding pool (survey_pending_answers), where the answers are sealed.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text

from bot import create_app
from bot.state import build_state
from db import anonymous_pool
from db.anonymous_pool import K, PendingAnswer
from db.models import Resident
from db.session import transaction
from db.surveys import Survey, SurveyCompletion, SurveyResponse, town_day
from tests.survey_helpers import NOW, SURVEY, apply_survey, onboard
from tests.test_paper_answers import HEAD, QS, write_csv
from tests.test_web_survey import Phone, make_codes
from tests.test_web_survey import text as page_text

SID = "test-2026"
AGES = ["20代", "30代", "40代", "60代"]
DISTRICTS = ["七ツ森", "大谷", "磐梯"]
CHOICES = ["住みやすい", "どちらかといえば住みやすい"]


@pytest.fixture
def survey(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    return SID


def _held_and_written(app) -> tuple[int, int]:
    with app.extensions["machikoe"].sessions() as s:
        held = s.scalar(select(text("count(*)")).select_from(PendingAnswer))
        written = s.scalar(select(text("count(*)")).select_from(SurveyResponse))
    return held, written


def _answer_in_line(r, choice: str, token: str) -> None:
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap(choice)
    r.tap("5")
    assert "ありがとうございました" in r.texts(r.say(token))


def _answer_on_the_web(app, code: str, age: str, choice: str, token: str) -> None:
    p = Phone(app)
    p.start(code)
    p.answer("p:age_band", age)
    p.answer("p:residency", "resident")
    p.answer("q:livability", choice)
    p.answer("q:happiness", "6")
    p.answer("q:wishes", token)
    assert "ご回答ありがとうございました" in page_text(p.send())


def _raw(app, db_url: str) -> list[dict]:
    """What the attacker reads of the written responses: every column and row placement."""
    pg = db_url.startswith("postgresql")
    # the answer rows' placement (survey_responses' SQLite rowid is its random id)
    place = (
        "a.ctid::text AS place, a.xmin::text AS xact" if pg else "a.rowid AS place, NULL AS xact"
    )
    sql = f"""SELECT {place}, r.id, r.channel, r.submitted_on, r.age_band, r.district,
              r.residency, a.value AS token
              FROM survey_responses r JOIN survey_answers a ON a.response_id = r.id
              WHERE a.question_id = 'wishes'"""
    with app.extensions["machikoe"].sessions() as s:
        rows = [dict(m) for m in s.execute(text(sql)).mappings()]
    for row in rows:
        if pg:  # ctid '(page,item)' → a sortable pair
            page, item = row["place"].strip("()").split(",")
            row["place"] = (int(page), int(item))
        row["submitted_on"] = str(row["submitted_on"])
    return rows


def _pool_raw(app, db_url: str) -> list[dict]:
    """What the attacker reads of the holding pool: every column, the sealed value as bytes."""
    with app.extensions["machikoe"].sessions() as s:
        rows = [dict(m) for m in s.execute(text("SELECT * FROM survey_pending_answers")).mappings()]
    for row in rows:
        row["sealed"] = bytes(row["sealed"])
    return rows


def _held_tokens(app) -> list[str]:
    """The test's own view (it holds the key): whose answers still wait in the pool."""
    state = app.extensions["machikoe"]
    with state.sessions() as s:
        rows = s.scalars(select(PendingAnswer)).all()
        return [anonymous_pool.unseal(state.settings.secret_key, r)["a"]["wishes"][0] for r in rows]


class Lines(logging.Handler):
    """The error lines a logger writes."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _tail_bound(probabilities: list[float], tail: float = 1e-6) -> int:
    """The least m with P(right > m) < tail, right being a sum of independent Bernoulli trials
    (the Poisson-binomial distribution, computed exactly)."""
    dist = [1.0]
    for p in probabilities:
        step = [0.0] * (len(dist) + 1)
        for k, q in enumerate(dist):
            step[k] += q * (1 - p)
            step[k + 1] += q * p
        dist = step
    left = 1.0
    for m, q in enumerate(dist):
        left -= q
        if left < tail:
            return m
    return len(dist) - 1


def _completion_xacts(app, db_url: str) -> dict[int, str]:
    """PostgreSQL: each LINE completer's completion row's transaction id (xmin)."""
    if not db_url.startswith("postgresql"):
        return {}
    with app.extensions["machikoe"].sessions() as s:
        rows = s.execute(text("SELECT resident_id, xmin::text FROM survey_completions"))
        return {rid: x for rid, x in rows}


def _consistent(row: dict, person: dict) -> bool:
    """Every observable fact of a response agrees with what the attacker knows of a person."""
    if person["channel"] != row["channel"] or person["day"] > row["submitted_on"]:
        return False
    return all(row[d] is None or row[d] == person[d] for d in ("age_band", "district", "residency"))


def test_the_attacker_links_no_better_than_chance(
    app, runner, resident, survey, state, db_url, tmp_path
):
    rng = random.Random(20)
    people: dict[str, dict] = {}  # token → what the attacker knows of that person (and the truth)
    start = NOW
    answered = 0
    # 34 LINE residents over three days, with varied age bands and districts
    for n in range(34):
        state.clock.fixed = start + timedelta(days=n // 12, minutes=n)
        age, district = rng.choice(AGES[:3] if n % 3 else AGES), rng.choice(DISTRICTS)
        r = onboard(resident(100 + n), age=age, district=district)
        token = f"line{n:02d}" + "ー" * (n % 15)  # 6 to 20 characters (max_length 20)
        _answer_in_line(r, rng.choice(CHOICES), token)
        answered += 1
        with app.extensions["machikoe"].sessions() as s:
            rid = s.scalar(select(Resident.id).where(Resident.line_user_id == r.id))
            done = s.get(SurveyCompletion, (rid, SID))
        people[token] = {
            "channel": "line",
            "age_band": age,
            "district": district,
            "residency": "resident",
            "day": str(done.completed_on),
            "order": done.started_at,
            "resident_id": rid,
        }
        held, written = _held_and_written(app)
        assert held + written == answered  # every answer pooled or written, never both
    # 7 letters answered on the web (the town's mail merge knows which code went to whom)
    state.clock.fixed = start + timedelta(days=3)
    codes = make_codes(app, 7)
    for n, code in enumerate(codes):
        state.clock.fixed = start + timedelta(days=3, minutes=n)
        age, token = rng.choice(AGES), f"web{n:02d}" + "x" * (n * 2)
        _answer_on_the_web(app, code, age, rng.choice(CHOICES), token)
        answered += 1
        people[token] = {
            "channel": "web",
            "age_band": age,
            "district": rng.choice(DISTRICTS),  # known to the attacker, not asked on the web
            "residency": "resident",
            "day": "2026-12-01",
            "order": state.clock.fixed,
        }
    # 6 paper sheets imported at once (the sheet number is the person, for the attacker)
    state.clock.fixed = start + timedelta(days=4)
    rows = []
    for n in range(6):
        age, district = rng.choice(AGES), rng.choice(DISTRICTS)
        token = f"paper{n:02d}" + "あ" * (n * 2)
        rows.append(
            [str(n + 1), "2026-12-02", "紙", age, district, "町内在住", CHOICES[0], "", 4, token]
        )
        people[token] = {
            "channel": "paper",
            "age_band": age,
            "district": district,
            "residency": "resident",
            "day": "2026-12-02",
            "order": n,
        }
    path = write_csv(tmp_path / "paper.csv", rows, header=HEAD + QS)
    got = runner.invoke(args=["surveys", "import-answers", SID, str(path)])
    assert got.exit_code == 0, got.output
    answered += 6
    held, written = _held_and_written(app)
    assert held + written == answered and held > 0  # some groups are still short of K
    # 0. the pool while the survey is open: one sealed length, and no answer in any column
    pool_rows = _pool_raw(app, db_url)
    assert len(pool_rows) == held
    assert len({len(r["sealed"]) for r in pool_rows}) == 1, {len(r["sealed"]) for r in pool_rows}
    secrets_ = [t.encode() for t in people] + [c.encode() for c in CHOICES]
    for row in pool_rows:
        for column, value in row.items():
            raw = value if isinstance(value, bytes) else str(value).encode()
            assert not any(v in raw for v in secrets_), (column, value)
    # the survey closes; the clock's job writes what is left: per channel, at least K together
    state.clock.fixed = NOW.replace(year=2027, month=1, day=2)
    got = runner.invoke(args=["jobs", "run", "anonymous"])
    assert got.exit_code == 0, got.output
    held_tokens = _held_tokens(app)
    for channel in ("line", "web", "paper"):  # fewer than K of a channel stay sealed (保留中)
        assert sum(people[t]["channel"] == channel for t in held_tokens) < K
    assert _held_and_written(app) == (len(held_tokens), answered - len(held_tokens))

    written_rows = _raw(app, db_url)
    # none lost, none twice: what is not written waits in the pool
    assert sorted(r["token"] for r in written_rows) == sorted(set(people) - set(held_tokens))
    # 1. every response is consistent with at least K people (counting only written ones,
    # the stricter count: the attacker might tell pending people apart)
    candidates = {}
    for row in written_rows:
        found = [t for t, p in people.items() if t not in held_tokens and _consistent(row, p)]
        assert row["token"] in found  # the facts are true
        assert len(found) >= K, (row, found)
        candidates[row["token"]] = found
    # ... and no combination stored in the table singles out fewer than K of its channel
    combos: dict[tuple, int] = {}
    for row in written_rows:
        key = (
            row["channel"],
            row["submitted_on"],
            row["age_band"],
            row["district"],
            row["residency"],
        )
        combos[key] = combos.get(key, 0) + 1
    assert all(n >= K for n in combos.values()), combos

    # A guesser without information is right on a row with probability 1/len(candidates); the
    # rows' guesses are at best independent (a one-to-one matching makes them negatively
    # correlated, which only thins the tail), so the count right is Poisson-binomial and the
    # bound is its exact 1-in-100,000 tail: a false alarm under 1e-4 for the 3-4 guessers on
    # both databases. Here: chance ≈ 4.5, bound 14 (chance + 4·sqrt(chance) + 3 gave 16).
    chance = sum(1 / len(c) for c in candidates.values())
    bound = _tail_bound([1 / len(c) for c in candidates.values()], tail=1e-5)
    guesses: dict[str, dict[str, str]] = {}
    # 2. placement order against completion order, per channel (what linked 6 of 6 before)
    by_place = sorted(written_rows, key=lambda r: r["place"])
    order_guess = {}
    for channel in ("line", "web", "paper"):
        mine = [r for r in by_place if r["channel"] == channel]
        them = sorted(  # the written people only: more than the attacker knows
            (t for t, p in people.items() if p["channel"] == channel and t not in held_tokens),
            key=lambda t: people[t]["order"],
        )
        order_guess |= {r["token"]: t for r, t in zip(mine, them, strict=True)}
    guesses["order"] = order_guess
    # 3. greedy: in placement order, the earliest unused person consistent with every fact
    used: set[str] = set()
    greedy = {}
    for row in by_place:
        options = [
            t
            for t in sorted(candidates[row["token"]], key=lambda t: people[t]["order"])
            if t not in used
        ]
        if options:
            greedy[row["token"]] = options[0]
            used.add(options[0])
    guesses["greedy"] = greedy
    # 4. PostgreSQL: a response written in the transaction of someone's completion is theirs
    xacts = _completion_xacts(app, db_url)
    if xacts:
        by_xact = {x: rid for rid, x in xacts.items()}
        rid_token = {p["resident_id"]: t for t, p in people.items() if p["channel"] == "line"}
        xguess = {}
        for row in by_place:
            if row["xact"] in by_xact and by_xact[row["xact"]] in rid_token:
                token = rid_token[by_xact.pop(row["xact"])]
                xguess[row["token"]] = token
        guesses["xmin"] = xguess
        assert len({r["xact"] for r in written_rows}) < len(written_rows) / 2  # batches, not rows
    for name, guess in guesses.items():
        right = sum(guess.get(t) == t for t in candidates)
        assert right <= bound, (name, right, chance)


def test_a_pooled_answer_survives_a_restart_and_is_written_once(
    app, resident, survey, state, runner
):
    r = onboard(resident(1), age="70代", district="更科")
    _answer_in_line(r, "住みやすい", "only-me")
    assert _held_and_written(app) == (1, 0)
    restarted = create_app(state=build_state(state.settings))  # another process, same database
    restarted.extensions["machikoe"].clock = state.clock
    cli = restarted.test_cli_runner()
    # alone in its channel: it stays sealed (written alone, even blank, it would be this one)
    got = cli.invoke(args=["surveys", "flush-anonymous", SID])
    assert got.exit_code == 0, got.output
    assert _held_and_written(app) == (1, 0)
    assert "0件を書き込みました" in got.output and "保留中 1件" in got.output
    for n, age in enumerate(["20代", "30代", "40代", "60代"]):  # four more LINE answers
        _answer_in_line(onboard(resident(10 + n), age=age, district="大谷"), "住みやすい", f"o{n}")
    assert _held_and_written(app) == (K, 0)  # five groups of one: none full
    outputs = []
    for _ in range(2):  # the office runs it twice: written once
        got = cli.invoke(args=["surveys", "flush-anonymous", SID])
        assert got.exit_code == 0, got.output
        outputs.append(got.output)
    assert _held_and_written(app) == (0, K)
    assert f"{K}件を書き込みました" in outputs[0] and "0件を書き込みました" in outputs[1]
    assert "保留中" not in outputs[1].replace("保留中だった", "")
    with app.extensions["machikoe"].sessions() as s:
        rows = s.scalars(select(SurveyResponse)).all()
    # K of one channel together, generalised until every stored combination has K: all blank
    assert {(r.resident_id, r.age_band, r.district, r.residency) for r in rows} == {
        (None, None, None, None)
    }
    restarted.extensions["machikoe"].engine.dispose()


def test_sealed_values_of_a_survey_all_have_one_length(app, resident, survey, state):
    _answer_in_line(onboard(resident(5), age="40代", district="大谷"), "住みやすい", "a")
    long = "ー" * 20  # the question's max_length, 60 bytes
    _answer_in_line(onboard(resident(6), age="60代", district="磐梯"), CHOICES[1], long)
    with app.extensions["machikoe"].sessions() as s:
        rows = s.scalars(select(PendingAnswer)).all()
        lengths = {len(r.sealed) for r in rows}
        opened = sorted(
            anonymous_pool.unseal(state.settings.secret_key, r)["a"]["wishes"][0] for r in rows
        )
        sv = s.get(Survey, SID)
        # the worst case the limits allow: every character escaped by JSON (6 bytes each)
        worst = {"livability": [CHOICES[1]], "happiness": ["10"], "wishes": ["\x01" * 20]}
        least = {"happiness": ["0"]}
        sizes = {
            len(
                anonymous_pool.seal(
                    None, SID, "line", {}, {"v": 99, "a": a}, anonymous_pool.sealed_size(sv)
                )
            )
            for a in (worst, least)
        }
    assert opened == sorted(["a", long])
    assert len(lengths) == 1 and sizes == lengths, (lengths, sizes)


def test_a_row_sealed_under_another_key_stays_and_the_rest_go_on(
    app, runner, resident, survey, state, tmp_path
):
    other = SURVEY.replace("id: test-2026", "id: other-2026").replace("（テスト）", "（別）")
    assert apply_survey(runner, tmp_path, other, name="other.yml").exit_code == 0
    group = {"age_band": "20代", "district": "磐梯", "residency": "resident"}
    m = app.extensions["machikoe"]
    with transaction(m.sessions) as s:  # sealed before SECRET_KEY was rotated
        sv = s.get(Survey, SID)
        day = town_day(NOW, "Asia/Tokyo")
        (old,) = anonymous_pool.pool_many(
            s,
            sv,
            [{"answers": {"wishes": ["old"]}, "profile": group, "channel": "line"}],
            day,
            "the-key-before-rotation",
        )
    # the K-th row of the group will not open: the resident's answer still goes in
    for n in range(K):
        _answer_in_line(
            onboard(resident(60 + n), age="20代", district="磐梯"), "住みやすい", f"k{n}"
        )
    assert _held_and_written(app) == (1, K)  # K readable ones written, the old one waits
    # the clock's job after both surveys closed: one with the unreadable row (now in a group of
    # K with K - 1 readable LINE answers, and K web answers beside), one without
    with transaction(m.sessions) as s:
        web = [
            {"answers": {"wishes": [f"x{n}"]}, "profile": group, "channel": "web"} for n in range(K)
        ]
        line = [item | {"channel": "line"} for item in web[: K - 1]]
        anonymous_pool.pool_many(s, s.get(Survey, "other-2026"), web, day)
        anonymous_pool.pool_many(s, s.get(Survey, SID), web + line, day)
    state.clock.fixed = NOW.replace(year=2027, month=1, day=2)
    errors = Lines()
    logger = logging.getLogger("db.anonymous_pool")
    logger.addHandler(errors)
    try:
        got = runner.invoke(args=["jobs", "run", "anonymous"])
    finally:
        logger.removeHandler(errors)
    assert got.exit_code == 0, got.output
    with m.sessions() as s:
        left = s.scalars(select(PendingAnswer)).all()
        per_survey = dict(
            s.execute(
                select(SurveyResponse.survey_id, text("count(*)")).group_by(
                    SurveyResponse.survey_id
                )
            ).all()
        )
    # other-2026: its K web answers; test-2026: its K web answers too, while its LINE group of K
    # has K - 1 readable answers: they stay (fewer than K), the old one too
    assert per_survey == {SID: K + K, "other-2026": K}
    assert sorted((r.survey_id, r.channel) for r in left) == [(SID, "line")] * K
    assert old in {r.id for r in left}
    # one line, for the survey with the unreadable row: its count, no ids
    assert len(errors.lines) == 1 and "1 pending answers" in errors.lines[0], errors.lines
    assert str(old) not in errors.lines[0]


def test_pending_answers_are_unreadable_without_the_key(app, resident, survey, state):
    r = onboard(resident(2), age="40代", district="大谷")
    _answer_in_line(r, "どちらかといえば住みやすい", "secret-wish")
    with app.extensions["machikoe"].sessions() as s:
        row = s.scalar(select(PendingAnswer))
        raw = bytes(s.scalar(text("SELECT sealed FROM survey_pending_answers")))
        assert b"secret-wish" not in raw and "どちらか".encode() not in raw
        assert (row.age_band, row.district, row.channel) == ("40代", "大谷", "line")
        with pytest.raises(InvalidTag):
            anonymous_pool.unseal("another-secret-key", row)
        opened = anonymous_pool.unseal(state.settings.secret_key, row)
        assert opened["a"]["wishes"] == ["secret-wish"]
        row.district = "磐梯"  # the clear group is bound to the seal: a moved row will not open
        with pytest.raises(InvalidTag):
            anonymous_pool.unseal(state.settings.secret_key, row)
        s.rollback()


def test_named_surveys_are_written_at_once_and_linked(app, runner, resident, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    r = onboard(resident(3), age="30代", district="七ツ森")
    _answer_in_line(r, "住みやすい", "named")
    assert _held_and_written(app) == (0, 1)
    with app.extensions["machikoe"].sessions() as s:
        row = s.scalar(select(SurveyResponse))
        rid = s.scalar(select(Resident.id).where(Resident.line_user_id == r.id))
    assert (row.resident_id, row.age_band, row.district, row.submitted_at) == (
        rid,
        "30代",
        "七ツ森",
        NOW,
    )


def test_a_full_group_is_written_at_once_shuffled_and_the_console_shows_what_waits(
    app, resident, survey, state
):
    from tests.test_console import as_role

    for n in range(K + 1):
        age = "20代" if n < K else "80歳以上"
        _answer_in_line(onboard(resident(40 + n), age=age, district="磐梯"), "住みやすい", f"t{n}")
    assert _held_and_written(app) == (1, K)  # the group of K went in; the one alone waits
    with app.extensions["machikoe"].sessions() as s:
        rows = s.scalars(select(SurveyResponse)).all()
    assert {(r.age_band, r.district, str(r.submitted_on)) for r in rows} == {
        ("20代", "磐梯", "2026-11-28")
    }
    page = as_role(app, "viewer").get(f"/admin/surveys/{SID}").get_data(as_text=True)
    assert "保留中 1件" in page and "同じ回答方法の回答が5件そろうまで集計に含めません" in page
