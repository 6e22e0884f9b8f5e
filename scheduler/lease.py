"""Crawl leases: never two processes running the same crawl at once.

APScheduler's ``max_instances=1`` only holds inside one scheduler process. A second scheduler
on the same database, or an analyst's ``vigie crawl`` of a scheduled source, would start the
same crawl again: two processes fetching the same pages, racing on the same records, and a
resume that cannot tell whose pages are whose. So every ``vigie crawl`` first takes a lease: a
``CrawlLease`` row keyed by the crawl (spider + arguments), with its owner, its run, and an
expiry pushed forward by a heartbeat.

Taking it is atomic on SQLite and PostgreSQL alike, without locks held across statements:

- an ``INSERT`` of the row (the primary key refuses a second one), or, when a row is there,
- a compare-and-set ``UPDATE … WHERE key = ? AND owner = <the owner read> AND expires_at =
  <the expiry read>``, allowed only when that lease expired or its owner process is known to
  be gone (same host, pid no longer alive). Of two processes trying, one updates one row; the
  other updates none and sees the winner as the holder.

A held lease is renewed every third of its lifetime; a process that finds its lease taken
over (it was presumed dead) is told so and stops. The lease is deleted when the crawl ends;
a process killed with SIGKILL leaves its row behind, which the next crawl on the same host
takes over at once (the pid is gone) and a crawl elsewhere after ``expires_at``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col
from sqlmodel import select as select_model

from scheduler import SchedulerError
from storage.models import CrawlLease

log = logging.getLogger(__name__)

TABLE = CrawlLease.__table__  # type: ignore[attr-defined]
DEFAULT_TTL = 120


def crawl_key(spider: str, args: dict[str, str]) -> str:
    """The identity of a crawl: its spider and its arguments (order-independent). Two crawls
    with the same key would fetch the same pages into the same records."""
    canonical = json.dumps(sorted((str(k), str(v)) for k, v in (args or {}).items()))
    return f"{spider}:{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def new_owner() -> str:
    """``host:pid:random`` — unique per lease holder, and tells a same-host process whether
    the holder is still alive."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_gone(owner: str) -> bool:
    """True only when ``owner`` is a process of this host that no longer exists (a pid
    reused since only makes us wait for the expiry: the safe side)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, for which run, until when."""

    key: str
    spider: str
    owner: str
    run_id: int | None
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        run = f"run {self.run_id}" if self.run_id is not None else "a run being recorded"
        return (
            f"{run} by {self.owner}, heartbeat {self.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"lease until {self.expires_at:%Y-%m-%d %H:%M:%S} UTC"
        )


class LeaseBusy(SchedulerError):
    """The crawl is already running elsewhere (``holder`` says where)."""

    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, spider: str, holder: Holder) -> None:
        self.holder = holder
        super().__init__(
            f"crawl {spider} with these arguments is already running: {holder.describe()}"
        )


def read_holder(engine: Engine, key: str) -> Holder | None:
    """The current row of ``key``, if any."""
    with engine.connect() as conn:
        row = conn.execute(select(TABLE).where(TABLE.c.key == key)).mappings().first()
    if row is None:
        return None
    return Holder(
        key=row["key"],
        spider=row["spider"],
        owner=row["owner"],
        run_id=row["run_id"],
        acquired_at=_aware(row["acquired_at"]),
        heartbeat_at=_aware(row["heartbeat_at"]),
        expires_at=_aware(row["expires_at"]),
    )


class Lease:
    """One crawl's lease. ``acquire`` raises :class:`LeaseBusy` when another live process
    holds it; ``renew`` and ``release`` act only while this owner still holds it."""

    def __init__(
        self,
        engine: Engine,
        spider: str,
        args: dict[str, str],
        ttl: int = DEFAULT_TTL,
        owner: str | None = None,
    ) -> None:
        if ttl < 3:
            raise SchedulerError(f"a lease must last at least 3 s, not {ttl}")
        self.engine = engine
        self.spider = spider
        self.key = crawl_key(spider, args)
        self.ttl = ttl
        self.owner = owner or new_owner()
        self.taken_over: Holder | None = None  # the stale holder replaced, if any

    def acquire(self, now: datetime | None = None) -> None:
        for _attempt in range(5):
            moment = now or datetime.now(UTC)
            expires = moment + timedelta(seconds=self.ttl)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(TABLE).values(
                            key=self.key,
                            spider=self.spider,
                            owner=self.owner,
                            run_id=None,
                            acquired_at=moment,
                            heartbeat_at=moment,
                            expires_at=expires,
                        )
                    )
                return
            except IntegrityError:
                pass  # a row is there: its holder may be alive, expired or gone
            holder = read_holder(self.engine, self.key)
            if holder is None:
                continue  # released between our insert and our read: try again
            if holder.owner == self.owner:
                return
            if holder.expires_at > moment and not owner_gone(holder.owner):
                raise LeaseBusy(self.spider, holder)
            with self.engine.begin() as conn:
                taken = conn.execute(
                    update(TABLE)
                    .where(
                        TABLE.c.key == self.key,
                        TABLE.c.owner == holder.owner,
                        TABLE.c.expires_at == holder.expires_at,
                    )
                    .values(
                        owner=self.owner,
                        run_id=None,
                        acquired_at=moment,
                        heartbeat_at=moment,
                        expires_at=expires,
                    )
                ).rowcount
            if taken == 1:
                self.taken_over = holder
                log.warning("lease %s taken over from %s", self.key, holder.describe())
                return
        holder = read_holder(self.engine, self.key)
        if holder is None:
            raise SchedulerError(f"lease {self.key}: could not be taken (contention)")
        raise LeaseBusy(self.spider, holder)

    def attach(self, run_id: int) -> bool:
        """Record which CrawlRun this lease runs (shown to whoever is refused)."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(TABLE)
                    .where(TABLE.c.key == self.key, TABLE.c.owner == self.owner)
                    .values(run_id=run_id)
                ).rowcount
            )

    def renew(self, now: datetime | None = None) -> bool:
        """Push the expiry forward; False when the lease is no longer ours."""
        moment = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(TABLE)
                    .where(TABLE.c.key == self.key, TABLE.c.owner == self.owner)
                    .values(
                        heartbeat_at=moment, expires_at=moment + timedelta(seconds=self.ttl)
                    )
                ).rowcount
            )

    def release(self) -> bool:
        """Delete the lease if it is still ours; False if someone took it over."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    delete(TABLE).where(TABLE.c.key == self.key, TABLE.c.owner == self.owner)
                ).rowcount
            )


def live_runs(session: Session, spider: str, now: datetime | None = None) -> set[int]:
    """Runs of ``spider`` held by a live lease: running right now in some process, so never
    to be resumed (or their files repaired) by another."""
    moment = now or datetime.now(UTC)
    rows = session.exec(select_model(CrawlLease).where(col(CrawlLease.spider) == spider)).all()
    return {
        int(row.run_id)
        for row in rows
        if row.run_id is not None
        and _aware(row.expires_at) > moment
        and not owner_gone(row.owner)
    }


def release_for_pid(engine: Engine, key: str, pid: int) -> Holder | None:
    """Delete the lease of ``key`` if a process ``pid`` of this host holds it (the scheduler
    cleaning up after a child it killed). Returns the row removed."""
    holder = read_holder(engine, key)
    if holder is None or not holder.owner.startswith(f"{socket.gethostname()}:{pid}:"):
        return None
    with engine.begin() as conn:
        conn.execute(delete(TABLE).where(TABLE.c.key == key, TABLE.c.owner == holder.owner))
    return holder


class Heartbeat:
    """Renews a lease from a background thread while a crawl runs in the main thread.
    ``on_lost`` is called (once, from that thread) if the lease was taken over."""

    def __init__(self, lease: Lease, on_lost: Callable[[], Any] | None = None) -> None:
        self.lease = lease
        self.on_lost = on_lost
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{lease.key}", daemon=True
        )

    def _run(self) -> None:
        interval = self.lease.ttl / 3
        while not self._stop.wait(interval):
            try:
                held = self.lease.renew()
            except OperationalError as exc:  # database busy or briefly down: next beat
                log.warning("lease %s not renewed: %s", self.lease.key, exc.orig)
                continue
            if not held:
                self.lost = True
                log.error("lease %s was taken over: this crawl stops", self.lease.key)
                if self.on_lost is not None:
                    self.on_lost()
                return

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.lease.ttl)
