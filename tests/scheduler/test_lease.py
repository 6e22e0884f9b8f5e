"""Crawl leases on the real database (SQLite here; PostgreSQL with VIGIE_TEST_DATABASE_URL):
one holder at a time, taken over only when expired or when its process is gone."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from scheduler.lease import (
    Heartbeat,
    Lease,
    LeaseBusy,
    crawl_key,
    live_runs,
    read_holder,
    release_for_pid,
)

ARGS = {"base_url": "http://127.0.0.1:1", "limit": "5"}


def test_key_is_spider_and_arguments_in_any_order():
    assert crawl_key("jobs", {"a": "1", "b": "2"}) == crawl_key("jobs", {"b": "2", "a": "1"})
    assert crawl_key("jobs", {"a": "1"}) != crawl_key("jobs", {"a": "2"})
    assert crawl_key("jobs", {}) != crawl_key("registry", {})
    assert crawl_key("jobs", {}).startswith("jobs:")


def test_second_holder_is_refused_until_release(engine):
    first = Lease(engine, "jobs", ARGS, ttl=60)
    first.acquire()
    assert first.attach(7)
    second = Lease(engine, "jobs", dict(reversed(list(ARGS.items()))), ttl=60)
    with pytest.raises(LeaseBusy) as refused:
        second.acquire()
    assert refused.value.holder.run_id == 7
    assert refused.value.holder.owner == first.owner
    assert "run 7 by" in str(refused.value) and refused.value.exit_code == 75
    other_args = Lease(engine, "jobs", {"base_url": "http://127.0.0.1:2"}, ttl=60)
    other_args.acquire()  # another crawl of the same spider is not the same crawl
    assert not second.release()  # only the owner may release
    assert first.release()
    second.acquire()
    assert read_holder(engine, second.key).owner == second.owner  # type: ignore[union-attr]


def test_expired_lease_is_taken_over_and_its_old_owner_told(engine):
    start = datetime.now(UTC)
    # Another host's owner: its pid says nothing here, only the expiry counts.
    stale = Lease(engine, "jobs", ARGS, ttl=10, owner="elsewhere:4242:abcd")
    stale.acquire(now=start)
    late = Lease(engine, "jobs", ARGS, ttl=10)
    with pytest.raises(LeaseBusy):
        late.acquire(now=start + timedelta(seconds=9))
    late.acquire(now=start + timedelta(seconds=11))
    assert late.taken_over is not None and late.taken_over.owner == "elsewhere:4242:abcd"
    assert not stale.renew()  # the old owner learns it lost the lease
    assert late.renew()


def test_lease_of_a_dead_process_on_this_host_is_taken_at_once(engine):
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead_pid = int(child.stdout)
    import socket

    dead = Lease(engine, "jobs", ARGS, ttl=3600, owner=f"{socket.gethostname()}:{dead_pid}:0")
    dead.acquire()
    dead.attach(3)
    with Session(engine) as session:
        assert live_runs(session, "jobs") == set()  # dead owner: run 3 is resumable
    fresh = Lease(engine, "jobs", ARGS, ttl=3600)
    fresh.acquire()  # far from expiry, but its owner is gone
    assert fresh.taken_over is not None and fresh.taken_over.run_id == 3
    fresh.attach(4)
    with Session(engine) as session:
        assert live_runs(session, "jobs") == {4}


def test_racing_processes_get_exactly_one_lease(engine):
    leases = [Lease(engine, "jobs", ARGS, ttl=60) for _ in range(8)]
    won: list[str] = []
    refused: list[str] = []
    barrier = threading.Barrier(len(leases))

    def race(lease: Lease) -> None:
        barrier.wait()
        try:
            lease.acquire()
            won.append(lease.owner)
        except LeaseBusy as busy:
            refused.append(busy.holder.owner)

    threads = [threading.Thread(target=race, args=(lease,)) for lease in leases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(won) == 1 and len(refused) == 7
    assert set(refused) == set(won)  # every loser names the one winner


def test_heartbeat_keeps_the_lease_and_reports_a_takeover(engine):
    lease = Lease(engine, "jobs", ARGS, ttl=3)
    lease.acquire()
    before = read_holder(engine, lease.key)
    lost = threading.Event()
    with Heartbeat(lease, on_lost=lost.set) as beat:
        assert not lost.wait(1.5)
        renewed = read_holder(engine, lease.key)
        assert renewed is not None and before is not None
        assert renewed.expires_at > before.expires_at  # pushed forward after one beat
        # Someone takes it over (we were presumed dead): the next beat notices.
        thief = Lease(engine, "jobs", ARGS, ttl=3)
        thief.acquire(now=datetime.now(UTC) + timedelta(seconds=10))
        assert lost.wait(3)
    assert beat.lost
    assert read_holder(engine, lease.key).owner == thief.owner  # type: ignore[union-attr]


def test_scheduler_removes_the_lease_of_a_child_it_killed(engine):
    import socket

    lease = Lease(engine, "jobs", ARGS, ttl=60, owner=f"{socket.gethostname()}:999999:ab")
    lease.acquire()
    assert release_for_pid(engine, lease.key, 12345) is None  # not that child's
    removed = release_for_pid(engine, lease.key, 999999)
    assert removed is not None and removed.owner == lease.owner
    assert read_holder(engine, lease.key) is None
