"""The crawl runner: one Scrapy crawl, recorded as a CrawlRun with its purpose and report."""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from pipelines import (
    CRAWL_STARTED_AT,
    DB_URL,
    DOWNLOADER_MIDDLEWARES,
    EVIDENCE_DIR,
    EXTENSIONS,
    ITEM_PIPELINES,
    RESUME_RUNS,
    RUN_ID,
)
from scheduler.lease import Heartbeat, Holder, Lease, LeaseBusy, live_runs
from storage.audit import append_event
from storage.db import make_engine, session_scope, upgrade
from storage.models import CrawlRun, Source, utcnow
from vigie import heap
from vigie.errors import VigieError
from vigie.scrapy_imports import import_tls_modules
from vigie.settings import Settings

log = logging.getLogger(__name__)


class CrawlError(VigieError):
    """A crawl could not be started or ended abnormally."""


def parse_spider_args(pairs: list[str]) -> dict[str, str]:
    """``["key=value", ...]`` → dict; a pair without ``=`` is an error."""
    args: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise CrawlError(f"spider argument {pair!r} is not of the form key=value")
        key, value = pair.split("=", 1)
        args[key.strip()] = value
    return args


# Scrapy's own extensions that a crawl of ours never uses, taken out of EXTENSIONS_BASE
# rather than switched off: Scrapy imports every extension named there (even one mapped to
# None) before it can say it is off, and the remote control's import (aiohttp's web server)
# alone costs each crawl process a good part of a second.
UNUSED_EXTENSIONS = (
    "scrapy.extensions.telnet.TelnetConsole",  # TELNETCONSOLE_ENABLED is False
    "scrapy.extensions.remote_control.RemoteControl",  # REMOTE_CONTROL_ENABLED is False
)


def spider_modules(spider: str, modules: list[str]) -> list[str]:
    """The modules Scrapy searches for ``spider``: its own module when it has one
    (``spiders/<name>.py`` defining it), else the module of the sources made from YAML alone
    (``spiders/boards.py``) when it is one of them, else all of ``modules``. Searching all of
    them imports every spider — Playwright's included — in every crawl process, a second of
    start-up for nothing."""
    from importlib import import_module
    from importlib.util import find_spec

    from scrapy.utils.spider import iter_spider_classes

    for name in (spider, "boards"):
        for package in modules:
            own = f"{package}.{name}"
            if find_spec(package) is None or find_spec(own) is None:
                continue
            if any(cls.name == spider for cls in iter_spider_classes(import_module(own))):
                return [own]
    return list(modules)


def scrapy_settings(
    settings: Settings,
    spider: str,
    run_id: int,
    progress: bool,
    resume: Resume | None = None,
) -> Any:
    """Compose Scrapy settings: project defaults, the source's politeness, Vigie components.

    ``resume`` (see :func:`find_resume`): the interrupted runs whose captures are replayed
    and the start of the whole crawl (for ``last_seen``/``gone_at``)."""
    from scrapy.settings import Settings as ScrapySettings

    from spiders.settings import playwright_settings, source_settings
    from spiders.source import load_source

    spec = load_source(spider)
    s = ScrapySettings()
    s.setmodule("spiders.settings", priority="project")
    s.set("SPIDER_MODULES", spider_modules(spider, s.getlist("SPIDER_MODULES")),
          priority="project")
    s.update(source_settings(spec), priority="project")
    if spec.renderer == "browser":
        s.update(playwright_settings(settings.chromium_executable), priority="project")
    if settings.download_delay is not None:
        s.set("DOWNLOAD_DELAY", settings.download_delay, priority="cmdline")
    if settings.concurrent_per_domain is not None:
        s.set("CONCURRENT_REQUESTS_PER_DOMAIN", settings.concurrent_per_domain, priority="cmdline")
    if settings.autothrottle is not None:
        s.set("AUTOTHROTTLE_ENABLED", settings.autothrottle, priority="cmdline")
    if settings.retry_backoff_base is not None:
        s.set("VIGIE_RETRY_BACKOFF_BASE", settings.retry_backoff_base, priority="cmdline")
    s.set(
        "ROBOTSTXT_OBEY", settings.robots_obey and spec.politeness.robots_obey, priority="cmdline"
    )
    s.set("USER_AGENT", settings.user_agent, priority="cmdline")
    s.set("VIGIE_WRITE_BATCH", settings.write_batch, priority="cmdline")
    s.set("VIGIE_MATCH_PROCESS", settings.match_process, priority="cmdline")
    s.set("VIGIE_DB_RETRY_LIMIT", settings.db_retry_limit, priority="cmdline")
    s.set("VIGIE_WRITE_PROCESS", settings.write_process, priority="cmdline")
    s.set("VIGIE_DB_OUTAGE_LIMIT", settings.db_outage_limit, priority="cmdline")
    s.set("VIGIE_CAPTURE_BATCH", settings.capture_batch, priority="cmdline")
    s.set("VIGIE_CAPTURE_BATCH_MS", settings.capture_batch_ms, priority="cmdline")
    s.set("DOWNLOAD_TIMEOUT", settings.download_timeout, priority="project")
    s.set("DOWNLOAD_MAXSIZE", settings.download_maxsize, priority="project")
    s.set("DOWNLOAD_WARNSIZE", settings.download_maxsize // 2, priority="project")
    s.set("REDIRECT_MAX_TIMES", 10, priority="project")
    s.set("DEPTH_LIMIT", spec.limits.max_depth, priority="project")
    s.set("ITEM_PIPELINES", ITEM_PIPELINES, priority="cmdline")
    s.set(
        "DOWNLOADER_MIDDLEWARES",
        {**s.getdict("DOWNLOADER_MIDDLEWARES"), **DOWNLOADER_MIDDLEWARES},
        priority="cmdline",
    )
    base = s.getdict("EXTENSIONS_BASE")
    s.set("EXTENSIONS_BASE", {k: v for k, v in base.items() if k not in UNUSED_EXTENSIONS},
          priority="cmdline")
    s.set(
        "EXTENSIONS",
        {**s.getdict("EXTENSIONS"), **EXTENSIONS, "pipelines.progress.ProgressExtension": 600},
        priority="cmdline",
    )
    s.set(DB_URL, settings.db_url, priority="cmdline")
    s.set(EVIDENCE_DIR, str(settings.evidence_dir.resolve()), priority="cmdline")
    s.set(RUN_ID, run_id, priority="cmdline")
    if resume is not None:
        s.set(RESUME_RUNS, list(resume.runs), priority="cmdline")
        s.set(CRAWL_STARTED_AT, resume.started_at.isoformat(), priority="cmdline")
    s.set("VIGIE_PROGRESS", progress, priority="cmdline")
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    s.set("LOG_FILE", str(logs / f"run-{run_id}-{spider}.log"), priority="cmdline")
    s.set("LOG_LEVEL", "INFO", priority="cmdline")
    return s


@dataclass(frozen=True)
class Resume:
    """The runs a resumed crawl continues (oldest first) and when that crawl began."""

    runs: tuple[int, ...]
    started_at: datetime


def _interrupted(run: CrawlRun) -> bool:
    """Killed (still "running": nobody wrote its report) or closed before its end."""
    return run.status == "running" or (run.report or {}).get("close_reason") != "finished"


RESUME_LOOKBACK = 50  # runs looked at when chaining interrupted runs


def find_resume(session: Session, spider: str, before: int) -> Resume | None:
    """The interrupted crawl of ``spider`` to continue: its latest runs that did not end
    normally (back to the last one that did; runs skipped because the crawl was already
    running are passed over), with the runs those themselves resumed. A run killed before it
    could link itself to the crawl it continued is part of the chain all the same; a run
    still running in another process (its lease is live) is not. ``None`` if the latest run
    ended normally."""
    recent = session.exec(
        select(CrawlRun)
        .where(
            CrawlRun.spider == spider,
            CrawlRun.id < before,  # type: ignore[operator]
            CrawlRun.status != "skipped",
        )
        .order_by(CrawlRun.id.desc())  # type: ignore[union-attr]
        .limit(RESUME_LOOKBACK)
    ).all()
    alive = live_runs(session, spider)  # running now elsewhere (another crawl's lease)
    chain: list[CrawlRun] = []
    for run in recent:
        if run.id in alive or "distributed" in (run.report or {}):
            continue  # running elsewhere, or a Redis crawl's (its workers recover it)
        if run.id is None or not _interrupted(run):
            break
        chain.append(run)
    if not chain:
        return None
    ids = {int(r.id) for r in chain if r.id is not None}
    starts: list[datetime] = []
    for run in chain:
        ids.update(int(r) for r in (run.report or {}).get("resumed_from", []))
        started = (run.report or {}).get("crawl_started_at")
        when = datetime.fromisoformat(started) if started else run.started_at
        starts.append(when if when.tzinfo else when.replace(tzinfo=UTC))
    return Resume(tuple(sorted(ids)), min(starts))


@dataclass(frozen=True)
class Launch:
    """Who launches which spider, why, and with what arguments (stored with the run)."""

    spider: str
    purpose: str
    args: dict[str, str] = field(default_factory=dict)
    case_ref: str | None = None
    launched_by: str = "cli"  # cli | schedule | analyst | api | demo
    user: str | None = None


def start_run(settings: Settings, launch: Launch) -> int:
    """Record the launch (who, why, with what) before anything is fetched."""
    from spiders.source import load_source

    spider, args, purpose = launch.spider, launch.args, launch.purpose
    if not purpose or not purpose.strip():
        raise CrawlError("every crawl needs a purpose (--purpose): it is recorded for review")
    spec = load_source(spider)
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            source = session.exec(select(Source).where(Source.name == spec.name)).first()
            if source is None:
                source = Source(name=spec.name, kind=spec.kind)
            source.base_url = args.get("base_url") or spec.base_url or ""
            source.legal_basis = spec.legal_basis
            source.retention_days = spec.retention_days
            source.robots_obey = spec.politeness.robots_obey
            source.config = spec.model_dump(mode="json")
            session.add(source)
            session.flush()
            run = CrawlRun(
                spider=spider,
                source_id=source.id,
                launched_by=launch.launched_by,
                user=launch.user,
                purpose=purpose.strip(),
                case_ref=launch.case_ref,
                args=args,
            )
            if not (settings.robots_obey and spec.politeness.robots_obey):
                reason = spec.politeness.robots_override_reason or (
                    "robots.txt ignored by the installation setting VIGIE_ROBOTS_OBEY=false"
                )
                run.report = {"robots_override": {"obey": False, "reason": reason}}
            session.add(run)
            session.flush()
            assert run.id is not None
            append_event(
                session,
                launch.user or launch.launched_by,
                "crawl.launch",
                f"crawlrun:{run.id}",
                {
                    "spider": spider,
                    "purpose": run.purpose,
                    "case_ref": launch.case_ref,
                    "args": args,
                    "launched_by": launch.launched_by,
                },
            )
            return run.id
    finally:
        engine.dispose()


def prepare_resume(settings: Settings, spider: str, run_id: int) -> Resume | None:
    """Link run ``run_id`` to the interrupted crawl it continues (if any) and close that one."""
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            resume = find_resume(session, spider, run_id)
            run = session.get(CrawlRun, run_id)
            assert run is not None
            if resume is None:
                log.info("nothing to resume for %s: a new crawl starts", spider)
                run.report = {**(run.report or {}), "notes": ["--resume: nothing to resume"]}
                session.add(run)
                return None
            for old_id in resume.runs:
                old = session.get(CrawlRun, old_id)
                if old is not None and old.status == "running":
                    old.status = "failed"
                    old.finished_at = old.finished_at or utcnow()
                    old.report = {
                        **(old.report or {}),
                        "notes": [f"interrupted; continued by run {run_id}"],
                    }
                    session.add(old)
            from pipelines.capture import repair_torn_tails

            repaired = repair_torn_tails(settings.evidence_dir, resume.runs)
            run.report = {
                **(run.report or {}),
                "resumed_from": list(resume.runs),
                "crawl_started_at": resume.started_at.isoformat(),
                **({"warc_repaired": repaired} if repaired else {}),
            }
            session.add(run)
            append_event(
                session,
                run.user or run.launched_by,
                "crawl.resume",
                f"crawlrun:{run_id}",
                {"resumed_from": list(resume.runs)},
            )
            return resume
    finally:
        engine.dispose()


def run_crawl(
    settings: Settings, launch: Launch, progress: bool = True, resume: bool = False
) -> CrawlRun:
    """Run one crawl to its end in this process (Twisted's reactor runs once per process).

    First the crawl's lease (:mod:`scheduler.lease`): if the same crawl (spider and
    arguments) is running in another process, this launch is recorded as a ``skipped`` run
    saying which run holds it, and nothing is fetched. The lease is renewed while the crawl
    runs and released at its end.

    ``resume``: continue the spider's last crawl if it was interrupted (killed, even by
    SIGKILL, or stopped early): pages it already archived are replayed from the evidence
    store instead of fetched (see :mod:`pipelines.capture`), so nothing is fetched, archived
    or recorded twice. Scrapy's ``JOBDIR`` is not used: its request queue and seen-set are
    only consistent after a graceful stop, not after a kill."""
    settings.ensure_dirs()
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        lease = Lease(engine, launch.spider, launch.args, ttl=settings.crawl_lease_seconds)
        try:
            lease.acquire()
        except LeaseBusy as busy:
            return skip_run(settings, start_run(settings, launch), str(busy), busy.holder)
        try:
            run_id = start_run(settings, launch)
            lease.attach(run_id)
            # Taken over (we were presumed dead): stop gracefully, as Ctrl+C would.
            with Heartbeat(lease, on_lost=lambda: os.kill(os.getpid(), signal.SIGTERM)):
                return _crawl(settings, launch, run_id, progress, resume)
        finally:
            lease.release()
    finally:
        engine.dispose()


def skip_run(
    settings: Settings, run_id: int, reason: str, holder: Holder | None = None
) -> CrawlRun:
    """Close run ``run_id`` as ``skipped`` (nothing fetched) with the reason."""
    engine = make_engine(settings.db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            run = session.get(CrawlRun, run_id)
            assert run is not None
            run.status = "skipped"
            run.finished_at = utcnow()
            skipped: dict[str, Any] = {"reason": reason}
            if holder is not None:
                skipped.update(
                    held_by_run=holder.run_id,
                    owner=holder.owner,
                    lease_expires_at=holder.expires_at.isoformat(),
                )
            run.report = {**(run.report or {}), "skipped": skipped, "notes": [f"skipped: {reason}"]}
            session.add(run)
            session.commit()
            log.warning("run %s skipped: %s", run_id, reason)
            return run
    finally:
        engine.dispose()


def _crawl(
    settings: Settings, launch: Launch, run_id: int, progress: bool, resume: bool
) -> CrawlRun:
    """The crawl itself, once its run is recorded and its lease held."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.spiderloader import SpiderLoader

    spider = launch.spider
    resumed = prepare_resume(settings, spider, run_id) if resume else None
    if resumed is None:
        engine = make_engine(settings.db_url)
        with Session(engine) as session:
            run = session.get(CrawlRun, run_id)
            assert run is not None
            started = run.started_at
        engine.dispose()
        resumed = Resume((), started if started.tzinfo else started.replace(tzinfo=UTC))
    s = scrapy_settings(settings, spider, run_id, progress, resumed)
    try:
        spider_cls = SpiderLoader.from_settings(s).load(spider)
    except KeyError as exc:
        raise CrawlError(f"no spider named {spider!r}") from exc
    import_tls_modules()  # before the reactor starts: see vigie.scrapy_imports
    process = CrawlerProcess(s)
    process.crawl(spider_cls, **launch.args)
    heap.settle()  # start-up done: see vigie.heap
    process.start()
    return finished_run(settings, run_id, "the crawl ended without writing its report")


def finished_run(settings: Settings, run_id: int, note: str) -> CrawlRun:
    """The run as its crawl process left it; one still "running" died before its report was
    written, and is marked failed with ``note``."""
    engine = make_engine(settings.db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            run = session.get(CrawlRun, run_id)
            assert run is not None
            if run.status == "running":
                run.status = "failed"
                run.finished_at = utcnow()
                run.report = {**(run.report or {}), "notes": [note]}
                session.add(run)
                session.commit()
            return run
    finally:
        engine.dispose()
