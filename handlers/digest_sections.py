"""The digest's sections for friends, representativeness, opinions, events, announcements, quota.

Each is `fn(Inputs) -> Section`, listed in handlers/digest.py:SECTIONS. Counting happens in
SQL (the areas' own query functions); the words are messages/digest.py's.
"""

from __future__ import annotations

from datetime import timedelta

from db import digest_counts
from db.events import Event
from handlers import population, privacy
from handlers.digest_model import Chart, Inputs, Section, Table, n, pct
from messages.digest import headers, listed, say
from messages.text import pick, when

# --- friends ----------------------------------------------------------------------------


def friends(inp: Inputs) -> Section:
    """Friends gained, blocks, friends now, friends active this week."""
    s, p = inp.session, inp.period
    f = digest_counts.friend_counts(s, p.start, p.end)
    gained, blocks, total, active, profiles = f.gained, f.blocks, f.total, f.active, f.profiles
    inp.numbers.update(
        {
            "friends.gained": gained,
            "friends.blocks": blocks,
            "friends.total": total,
            "friends.active": active,
            "friends.profiles": profiles,
        }
    )
    counts = {"total": n(total), "gained": n(gained), "blocks": n(blocks)}
    return Section(
        "friends",
        say("friends.title"),
        lines=[
            say("friends.total", **counts),
            say("friends.active", active=n(active)),
            say("friends.profiles", profiles=n(profiles)),
        ],
        short=say("friends.short", **counts),
    )


# --- representativeness -------------------------------------------------------------------


def coverage_section(
    inp: Inputs, cov: population.Coverage, key: str, title: str, anonymous: bool = False
) -> Section:
    """Rates per age band and district against the population, with charts (an anonymous
    survey's small counts hidden as on the console: handlers/privacy.py)."""
    from handlers import charts  # matplotlib: loaded when a digest is built, not at start

    pop = population.load(inp.session)
    shown = {(r.axis, r.group): r for r in privacy.coverage_view(cov, anonymous)["rows"]}

    def visible(r: population.GroupRate) -> bool:
        return shown[(r.axis, r.group)].rate is not None

    rows = [
        [
            say(f"coverage.axis.{'age' if r.axis == 'age' else 'district'}"),
            r.group,
            n(r.population),
            n(shown[(r.axis, r.group)].count),
            pct(r.count, r.population) if visible(r) else "—",
        ]
        for r in cov.rows
    ]
    low = cov.under_covered
    inp.numbers[f"{key}.rate"] = round(cov.rate, 4)
    inp.numbers[f"{key}.under_covered"] = [r.group for r in low]
    overall = pct(cov.total_count, cov.total_population)
    lines = [
        say(
            "coverage.overall",
            count=n(cov.total_count),
            population=n(cov.total_population),
            rate=overall,
        )
    ]
    if low:
        names = listed(
            say("coverage.group_rate", group=r.group, rate=pct(r.count, r.population))
            if visible(r)
            else r.group
            for r in low
        )
        lines.append(say("coverage.low", names=names))
        lines.append(say("coverage.low_hint"))
    else:
        lines.append(say("coverage.none_low"))
    if cov.unknown:
        lines.append(say("coverage.unknown", n=n(cov.unknown)))
    highlight = [r.group for r in low]
    note = ""
    if pop:
        source = pop.source or say("coverage.default_source")
        note = say("coverage.source", source=source, as_of=pop.as_of)
    made = []
    for axis in ("age", "district"):
        group_rows = [r for r in cov.rows if r.axis == axis]
        if group_rows:
            chart_title = say("coverage.chart", title=title, label=say(f"coverage.by.{axis}"))
            made.append(
                Chart(
                    f"{key}-{axis}@machikoe",
                    chart_title,
                    charts.hbar(
                        chart_title,
                        [
                            r.group if visible(r) else say("coverage.hidden", group=r.group)
                            for r in group_rows
                        ],
                        [shown[(r.axis, r.group)].rate or 0 for r in group_rows],
                        highlight=highlight,
                        note=note,
                    ),
                )
            )
    return Section(
        key,
        title,
        lines=lines,
        tables=[Table(title, headers("coverage.headers"), rows)],
        charts=made,
        short=say("coverage.short", names=listed(highlight)) if highlight else "",
    )


def friend_coverage(inp: Inputs) -> Section:
    """Friends with a profile per age band and district, against the resident register."""
    pop = population.load(inp.session)
    if pop is None:
        return Section("coverage", say("coverage.title"), missing=say("coverage.no_population"))
    cov = population.coverage(
        pop, population.friend_counts(inp.session), inp.town, "friends", skip_bands=()
    )
    return coverage_section(inp, cov, "coverage", say("coverage.friends"))


# --- opinions ---------------------------------------------------------------------------


def opinions(inp: Inputs) -> Section | None:
    """Opinions and public comments received this week and in total."""
    from db.opinions import open_count

    s, p = inp.session, inp.period
    c = digest_counts.opinion_counts(s, p.start, p.end)
    op_total, op_week = c.opinions_total, c.opinions_week
    pc_total, pc_week = c.comments_total, c.comments_week
    inp.numbers.update(
        {
            "opinions.week": op_week,
            "opinions.total": op_total,
            "comments.week": pc_week,
            "comments.total": pc_total,
        }
    )
    lines = [say("opinions.week", week=n(op_week), total=n(op_total))]
    if pc_total:
        lines.append(say("opinions.comments", week=n(pc_week), total=n(pc_total)))
    waiting = open_count(s)
    inp.numbers["opinions.open"] = waiting
    lines.append(say("opinions.open", n=n(waiting)))
    short = say("opinions.short", week=n(op_week), open=n(waiting))
    return Section("opinions", say("opinions.title"), lines=lines, short=short)


# --- message quota ------------------------------------------------------------------------


def quota(inp: Inputs) -> Section:
    """Messages used this month against the plan's limit (from LINE)."""
    title = say("quota.title")
    if inp.quota is None:
        return Section("quota", title, missing=say("quota.missing"))
    _kind, limit, used = inp.quota
    inp.numbers.update({"quota.used": used, "quota.limit": limit})
    if limit is None:
        line = say("quota.unlimited", used=n(used))
    else:
        line = say("quota.used", used=n(used), limit=n(limit), rate=pct(used, limit))
    return Section("quota", title, lines=[line], short=say("quota.short", used=n(used)))


# --- events (db.events) ---------------------------------------------------------------------

SOON = timedelta(days=14)
MAX_EVENTS = 12


def events(inp: Inputs) -> Section:
    """Upcoming workshops: sign-ups per mode against capacity, waitlists, cancellations."""
    from db import events as ev

    s, p = inp.session, inp.period
    upcoming = ev.upcoming_events(s, inp.now, limit=MAX_EVENTS)
    new = ev.signups_between(s, p.start, p.end)
    cancelled = ev.cancellations(s, p.start, p.end)
    inp.numbers["events.signups_week"] = sum(new.values())
    inp.numbers["events.cancellations_week"] = sum(cancelled.values())
    week = {"signups": n(sum(new.values())), "cancelled": n(sum(cancelled.values()))}
    if not upcoming:
        return Section(
            "events",
            say("events.title"),
            lines=[say("events.none"), say("events.week_none", **week)],
        )
    counts = ev.signup_counts(s, [e.id for e in upcoming])
    rows = []
    soon = [e for e in upcoming if e.starts_at < inp.now + SOON]
    by_event = {e.id: e for e in upcoming}
    modes = {"onsite": say("events.mode.onsite"), "online": say("events.mode.online")}
    for c in counts:
        e = by_event[c.event_id]
        rows.append(
            [
                when(e.starts_at, "ja", inp.tz),
                pick(e.title, "ja"),
                modes.get(c.mode, c.mode),
                f"{n(c.confirmed)} / {n(c.capacity)}",
                n(c.waitlisted),
            ]
        )
        inp.numbers[f"event.{c.event_id}.{c.mode}"] = {
            "confirmed": c.confirmed,
            "capacity": c.capacity,
            "waitlisted": c.waitlisted,
        }
    lines = [say("events.week", **week), say("events.soon", days=SOON.days, n=len(soon))]
    lines.extend(
        say("events.soon_item", title=pick(e.title, "ja"), at=when_short(e, inp))
        + (say("events.item_signups", n=new[e.id]) if e.id in new else "")
        + (say("events.item_cancelled", n=cancelled[e.id]) if e.id in cancelled else "")
        for e in soon
    )
    waiting = sum(c.waitlisted for c in counts)
    if waiting:
        lines.append(say("events.waitlist", n=n(waiting)))
    return Section(
        "events",
        say("events.title"),
        lines=lines,
        tables=[Table(say("events.table"), headers("events.headers"), rows)],
        short=say("events.short", signups=week["signups"], days=SOON.days, soon=len(soon)),
    )


def when_short(event: Event, inp: Inputs) -> str:
    """An event's start as 11/08 18:30 (town time)."""
    return f"{event.starts_at.astimezone(inp.tz):%m/%d %H:%M}"


# --- announcements (handlers.broadcast) -------------------------------------------------------


def announcements(inp: Inputs) -> Section:
    """Announcements sent this week and recipients they reached."""
    from handlers.broadcast import sent_in_period

    got = sent_in_period(inp.session, inp.period.start, inp.period.end)
    inp.numbers["announcements.sent"] = got["broadcasts"]
    inp.numbers["announcements.delivered"] = got["delivered"]
    return Section(
        "announcements",
        say("announcements.title"),
        lines=[say("announcements.sent", sent=n(got["broadcasts"]), delivered=n(got["delivered"]))],
        short=say("announcements.short", n=n(got["broadcasts"])),
    )
