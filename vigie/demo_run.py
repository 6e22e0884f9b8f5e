"""``vigie demo``: the whole path once, on the bundled offline web.

Builds the synthetic Belgian web, imports its register (KBO Open Data format), serves the web on
127.0.0.1, crawls it with the three spiders (each in its own process, as the scheduler would),
then prints what was found and creates a demo account for the review UI.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func
from sqlmodel import Session, select

from demo.kbo_export import write_kbo_opendata
from demo.server import DemoServer
from demo.world import build_world
from scheduler.runner import crawl_command
from storage.db import make_engine, session_scope, upgrade
from storage.models import Capture, CrawlRun, Match, Record, Signal, User
from vigie.errors import VigieError
from vigie.register import import_kbo
from vigie.settings import Settings

# The register first (directors for the network rules), then the Gazette, the job boards,
# the classifieds (Chromium) and the company websites.
SPIDERS = ("registry", "gazette", "jobs", "board2", "jobfeed", "listings", "websites")
DEMO_USER = "demo"


def _crawl_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["VIGIE_DATA_DIR"] = str(settings.data_dir.resolve())
    env["VIGIE_DATABASE_URL"] = settings.db_url
    # Our own loopback web: no need to wait between requests.
    env["VIGIE_DOWNLOAD_DELAY"] = "0"
    env["VIGIE_CONCURRENT_PER_DOMAIN"] = "8"
    env["VIGIE_AUTOTHROTTLE"] = "false"
    return env


def _demo_user(settings: Settings) -> tuple[str, str]:
    from review.auth import create_user, hash_password

    password = secrets.token_urlsafe(12)
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            user = session.exec(select(User).where(User.username == DEMO_USER)).first()
            if user is None:
                create_user(session, DEMO_USER, password, "admin")
            else:
                user.password_hash = hash_password(password)
                session.add(user)
    finally:
        engine.dispose()
    return DEMO_USER, password


def summarize(settings: Settings) -> dict[str, Any]:
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:

            def grouped(column, model):  # type: ignore[no-untyped-def]
                rows = session.exec(
                    select(column, func.count()).select_from(model).group_by(column)
                ).all()
                return {str(k): int(v) for k, v in rows}

            runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()  # type: ignore[arg-type]
            return {
                "pages": int(session.exec(select(func.count()).select_from(Capture)).one()),
                "records": grouped(Record.kind, Record),
                "matches": grouped(Match.outcome, Match),
                "signals": grouped(Signal.rule, Signal),
                "runs": [
                    {
                        "id": r.id,
                        "spider": r.spider,
                        "status": r.status,
                        "pages": r.pages_seen,
                        "items": r.items_scraped,
                        "problems": r.errors_count,
                    }
                    for r in runs
                ],
            }
    finally:
        engine.dispose()


def run_demo(
    settings: Settings, seed: int = 7, size: int = 300, console: Console | None = None
) -> dict[str, Any]:
    console = console or Console()
    settings.ensure_dirs()
    upgrade(settings.db_url)
    console.print(f"[bold]Vigie demo[/] — data folder {settings.data_dir.resolve()}")
    world = build_world(seed=seed, size=size)
    kbo_dir = settings.data_dir / "demo" / f"kbo-opendata-{seed}-{size}"
    write_kbo_opendata(world, kbo_dir)
    counts = import_kbo(settings, kbo_dir, console=console)
    console.print(f"register imported from {kbo_dir}: {counts}")
    env = _crawl_env(settings)
    with DemoServer(world) as server:
        console.print(f"offline web serving on {server.url}")
        for spider in SPIDERS:
            cmd = crawl_command(
                spider,
                f"demo: crawl of the offline {spider} site",
                {"base_url": server.url},
                launched_by="demo",
                progress=True,
            )
            done = subprocess.run(cmd, env=env, check=False)
            if done.returncode not in (0, 3):
                raise VigieError(
                    f"the {spider} crawl crashed (exit {done.returncode}); "
                    f"see {settings.data_dir / 'logs'}"
                )
    from pipelines.clustering import rebuild_clusters
    from signals.engine import detect_network
    from storage.db import make_engine, session_scope

    engine = make_engine(settings.db_url)
    try:
        clusters = rebuild_clusters(engine)
        with session_scope(engine) as session:  # reposted ads etc. need the clusters
            detect_network(session)
    finally:
        engine.dispose()
    console.print(f"clusters (same ad on several boards, same provider): {clusters.clusters}")
    summary = summarize(settings)
    summary["login"] = _demo_user(settings)
    _print_summary(console, summary)
    return summary


def _print_summary(console: Console, summary: dict[str, Any]) -> None:
    table = Table("run", "spider", "status", "pages", "items", "problems", title="Crawl runs")
    for run in summary["runs"]:
        table.add_row(
            str(run["id"]),
            run["spider"],
            run["status"],
            str(run["pages"]),
            str(run["items"]),
            str(run["problems"]),
        )
    console.print(table)
    console.print(f"pages captured: {summary['pages']}")
    console.print(f"records: {summary['records']}")
    console.print(f"matches: {summary['matches']}")
    console.print(f"signals by type: {summary['signals']}")
    login = summary.get("login")
    if login:
        console.print(f"review UI account: [bold]{login[0]}[/] / password [bold]{login[1]}[/]")
