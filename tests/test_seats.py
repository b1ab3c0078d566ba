"""Seat rules (handlers/seats.py) on both databases, and the RSVP flow against its diagram."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.events import Event, Signup
from db.models import Resident
from db.session import transaction
from handlers import seats

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 12, 9, 30, tzinfo=UTC)


def _event(s, capacity_onsite: int = 1, capacity_online: int = 0, fmt: str = "onsite") -> Event:
    event = Event(
        id="ws-1",
        title={"ja": "テスト会"},
        format=fmt,
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        capacity_onsite=capacity_onsite,
        capacity_online=capacity_online,
        signup_closes_at=STARTS - timedelta(days=1),
    )
    s.add(event)
    s.flush()
    return event


def _people(s, n: int) -> list[Resident]:
    people = [Resident(line_user_id=f"U{i:032x}", created_at=NOW) for i in range(n)]
    s.add_all(people)
    s.flush()
    return people


def test_a_seat_then_full_then_the_waitlist_in_order(state):
    with transaction(state.sessions) as s:
        _event(s, capacity_onsite=1, capacity_online=2, fmt="hybrid")
        a, b, c, d = _people(s, 4)
        first = seats.join(s, "ws-1", a.id, "onsite", NOW)
        assert first.status == "confirmed" and first.signup.confirmed_at == NOW
        full = seats.join(s, "ws-1", b.id, "onsite", NOW)
        assert full.status == "full" and full.seats_other == {"online": 2}
        assert [x.resident_id for x in s.query(Signup)] == [a.id]  # a full answer stores nothing
        waits = [seats.join(s, "ws-1", p.id, "onsite", NOW, waitlist=True) for p in (b, c)]
        assert [(w.status, w.position) for w in waits] == [("waitlisted", 1), ("waitlisted", 2)]
        again = seats.join(s, "ws-1", c.id, "online", NOW)
        assert again.status == "already" and again.position == 2
        assert seats.join(s, "ws-1", d.id, "teleport", NOW).status == "bad_mode"
        assert seats.join(s, "no-such", d.id, "onsite", NOW).status == "unknown"
        late = STARTS - timedelta(hours=23)
        assert seats.join(s, "ws-1", d.id, "online", late).status == "closed"
        codes = {x.attendance_code for x in s.query(Signup)}
        assert len(codes) == 3 and all(len(code) == 4 and code.isdigit() for code in codes)


def test_a_cancelled_seat_goes_to_the_first_reachable_one_waiting(state):
    with transaction(state.sessions) as s:
        _event(s, capacity_onsite=1)
        holder, gone, next_, last = _people(s, 4)
        seats.join(s, "ws-1", holder.id, "onsite", NOW)
        for p in (gone, next_, last):
            seats.join(s, "ws-1", p.id, "onsite", NOW, waitlist=True)
        gone.blocked = True
        s.flush()
        result = seats.cancel(s, "ws-1", holder.id, NOW + timedelta(hours=1))
        assert result.status == "cancelled" and result.signup.status == "cancelled"
        assert [p.resident_id for p in result.promoted] == [next_.id]
        status = {x.resident_id: x.status for x in s.query(Signup)}
        assert status == {
            holder.id: "cancelled",
            gone.id: "waitlisted",
            next_.id: "confirmed",
            last.id: "waitlisted",
        }
        # a waiting person leaving frees no seat: nobody is promoted
        assert seats.cancel(s, "ws-1", last.id, NOW).promoted == []
        assert seats.cancel(s, "ws-1", last.id, NOW).status == "not_signed_up"
        assert seats.cancel(s, "ws-1", next_.id, STARTS).status == "started"
        assert seats.cancel(s, "no-such", next_.id, NOW).status == "unknown"


def test_more_capacity_fills_from_the_waitlist_but_not_once_started(state):
    with transaction(state.sessions) as s:
        event = _event(s, capacity_onsite=0)
        people = _people(s, 3)
        for p in people:
            seats.join(s, "ws-1", p.id, "onsite", NOW, waitlist=True)
        event.capacity_onsite = 2
        assert seats.fill_seats(s, event, "onsite", STARTS) == []
        promoted = seats.fill_seats(s, event, "onsite", NOW)
        assert [p.resident_id for p in promoted] == [people[0].id, people[1].id]
        assert seats.fill_seats(s, event, "onsite", NOW) == []  # never over capacity


def test_check_in_by_a_typed_code_confirmed_only_and_once(state):
    with transaction(state.sessions) as s:
        _event(s, capacity_onsite=1)
        a, b = _people(s, 2)
        code = seats.join(s, "ws-1", a.id, "onsite", NOW).signup.attendance_code
        waiting = seats.join(s, "ws-1", b.id, "onsite", NOW, waitlist=True).signup
        typed = " " + "".join(chr(ord(ch) + 0xFEE0) for ch in code[:2]) + "-" + code[2:]
        assert seats.normalise_code(typed) == code
        assert seats.checkin(s, "ws-1", typed, NOW).status == "checked_in"
        assert seats.checkin(s, "ws-1", code, NOW).status == "already"
        assert seats.checkin(s, "ws-1", waiting.attendance_code, NOW).status == "not_confirmed"
        assert seats.checkin(s, "ws-1", "no code", NOW).status == "unknown_code"
        assert seats.checkin(s, "no-such", code, NOW).status == "unknown_event"
        assert s.query(Signup).filter_by(resident_id=a.id).one().attended_at == NOW


def test_the_rsvp_flow_has_the_states_of_its_diagram():
    from handlers import rsvp

    text = (ROOT / "docs" / "flows" / "rsvp.mmd").read_text(encoding="utf-8")
    drawn = set()
    for line in text.splitlines():
        m = re.match(r"\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)", line)
        if m:
            drawn |= {m.group(1), m.group(2)}
    drawn.discard("[*]")
    assert drawn == set(rsvp.FLOW.states)
    assert set(rsvp.TAPS.values()) <= set(rsvp.FLOW.states)
    assert set(rsvp.FLOW.states) >= rsvp.PASSING
