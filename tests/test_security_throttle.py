"""Sign-in throttling by network, not by the exact address: an IPv6 guesser rotating through
their own /64 is still one guesser; IPv4 (also IPv4-mapped IPv6) is counted whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers import staff as staff_accounts
from handlers.staff_sign_in import MAX_WIDE_FAILURES, throttle_address, throttle_keys
from tests.test_console import audit_rows, make_staff
from tests.test_security_console import browser

START = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)
# public prefixes (documentation ranges count as private, and private peers may forward)
ATTACKER_64 = "2a01:4f8:c17:1a2b"
COLLEAGUE = "2a01:4f8:c17:1a2c::5"  # the next /64 over: another subscriber


def attacker(n: int) -> str:
    """The n-th address the guesser picks inside their own /64."""
    return f"{ATTACKER_64}:{n:x}:{n * 7919 % 65536:x}:{n * 104729 % 65536:x}:{n + 1:x}"


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("81.2.69.160", "81.2.69.160"),
        ("::ffff:81.2.69.160", "81.2.69.160"),
        ("2a01:4f8:c17:1a2b::1", "2a01:4f8:c17:1a2b::/64"),
        ("2A01:04F8:0C17:1A2B:ffff:ffff:ffff:ffff", "2a01:4f8:c17:1a2b::/64"),
        ("-", "-"),
        ("not an address", "not an address"),
    ],
)
def test_what_an_address_counts_as(address, counted):
    assert throttle_address(address) == counted


def test_keys_are_shared_within_a_64_and_distinct_across():
    def keys(address: str) -> tuple[str, str]:
        return throttle_keys("secret", "suzuki@example.jp", address)

    assert keys(attacker(1)) == keys(attacker(2))
    assert keys(attacker(1))[1] != keys(COLLEAGUE)[1]
    assert keys("81.2.69.160") != keys("81.2.69.161")


def test_rotating_through_a_64_across_accounts_hits_the_address_limit(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    for n in range(staff_accounts.MAX_ADDRESS_FAILURES):  # a fresh address and account each time
        assert browser(app, attacker(n)).login(f"person{n}@example.jp", "Pw1!").status_code == 401
    assert audit_rows(app, "staff.address_locked")
    # held back from the whole /64: an address never used before, with the right password
    assert browser(app, attacker(999)).login("suzuki@example.jp").status_code == 401
    # a colleague in another /64 signs in at once
    assert browser(app, COLLEAGUE).login("suzuki@example.jp").status_code == 302


def test_rotating_through_a_64_on_one_account_locks_that_pair(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    for n in range(staff_accounts.MAX_FAILED_LOGINS):
        assert browser(app, attacker(n)).login("suzuki@example.jp", f"guess-{n}").status_code == 401
    assert [r.target for r in audit_rows(app, "staff.locked")] == ["suzuki@example.jp"]
    assert browser(app, attacker(500)).login("suzuki@example.jp").status_code == 401
    assert browser(app, COLLEAGUE).login("suzuki@example.jp").status_code == 302


def test_ipv4_mapped_ipv6_counts_as_the_ipv4_address(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    for n in range(staff_accounts.MAX_FAILED_LOGINS):
        peer = "::ffff:81.2.69.160" if n % 2 else "81.2.69.160"
        assert browser(app, peer).login("suzuki@example.jp", f"guess-{n}").status_code == 401
    assert browser(app, "81.2.69.160").login("suzuki@example.jp").status_code == 401
    # IPv4 is counted whole: the neighbouring address is someone else
    assert browser(app, "81.2.69.161").login("suzuki@example.jp").status_code == 302


ATTACKER_48 = "2a01:4f8:c17"  # one subscriber's delegated /48: 65,536 /64s
NEIGHBOUR = "2a01:4f8:c18::5"  # the next /48 over: another subscriber


def in_48(n: int) -> str:
    """An address in the n-th /64 of the guesser's /48."""
    return f"{ATTACKER_48}:{n:x}::{n % 65535 + 1:x}"


def test_wide_key_is_shared_within_a_48_and_ipv4_stays_whole():
    def wide(address: str) -> str:
        return throttle_keys("secret", "suzuki@example.jp", address)[2]

    assert throttle_address(in_48(1), 48) == "2a01:4f8:c17::/48"
    assert wide(in_48(1)) == wide(in_48(0xFFFF))
    assert wide(in_48(1)) != wide(NEIGHBOUR)
    assert wide("81.2.69.160") != wide("81.2.69.161")
    assert throttle_address("81.2.69.160", 48) == "81.2.69.160"


def test_rotating_through_the_64s_of_a_48_on_one_account_locks_it(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    for n in range(MAX_WIDE_FAILURES):  # a fresh /64 each time: no pair lock
        assert browser(app, in_48(n)).login("suzuki@example.jp", f"guess-{n}").status_code == 401
    assert [r.target for r in audit_rows(app, "staff.locked")] == ["suzuki@example.jp"]
    assert not audit_rows(app, "staff.address_locked")
    # held back from the whole /48, even with the right password from a /64 never used
    assert browser(app, in_48(4000)).login("suzuki@example.jp").status_code == 401
    # the guesser cannot lock the account out for a colleague elsewhere
    assert browser(app, NEIGHBOUR).login("suzuki@example.jp").status_code == 302
