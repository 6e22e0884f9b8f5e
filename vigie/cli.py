"""The ``vigie`` command line. One handler turns every VigieError into a message + exit code."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vigie.cli_dossier import dossier_app, retention_app, targets
from vigie.errors import VigieError
from vigie.settings import Settings

app = typer.Typer(
    help="Vigie: OSINT collector for social-security inspection.",
    no_args_is_help=True,
    add_completion=False,
)
users_app = typer.Typer(help="Manage review UI accounts.", no_args_is_help=True)
register_app = typer.Typer(help="Import the known-employer register.", no_args_is_help=True)
signals_app = typer.Typer(help="Inspect signals.", no_args_is_help=True)
evidence_app = typer.Typer(help="Check the integrity of the evidence store.", no_args_is_help=True)
schedule_app = typer.Typer(help="Manage scheduled crawls.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
runs_app = typer.Typer(help="Crawl runs: status, coverage, problems.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(register_app, name="register")
app.add_typer(signals_app, name="signals")
app.add_typer(evidence_app, name="evidence")
app.add_typer(schedule_app, name="schedule")
app.add_typer(db_app, name="db")
app.add_typer(runs_app, name="runs")
app.add_typer(audit_app, name="audit")
app.add_typer(dossier_app, name="dossier")
app.command("targets")(targets)
app.add_typer(retention_app, name="retention")

console = Console()
err_console = Console(stderr=True)


def _settings() -> Settings:
    settings = Settings()
    settings.ensure_dirs()
    return settings


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from storage.db import make_engine, upgrade

    upgrade(settings.db_url)
    return make_engine(settings.db_url)


# -- crawling ---------------------------------------------------------------------------------
@app.command()
def crawl(
    spider: Annotated[str, typer.Argument(help="Spider name (jobs, registry, listings).")],
    purpose: Annotated[str, typer.Option(help="Why this crawl is run (recorded).")],
    arg: Annotated[list[str] | None, typer.Option("-a", help="Spider argument key=value.")] = None,
    case: Annotated[str | None, typer.Option(help="Case reference (legal basis).")] = None,
    launched_by: Annotated[str, typer.Option(hidden=True)] = "cli",
    user: Annotated[str | None, typer.Option(help="Analyst launching the crawl.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a live progress line.")] = True,
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue this spider's last crawl if it was interrupted (killed or stopped): "
            "pages already archived are replayed from the evidence, not fetched again."
        ),
    ] = False,
    enqueue: Annotated[
        bool,
        typer.Option(
            help="Launch a distributed crawl instead (needs VIGIE_REDIS_URL): record the run, "
            "push the start requests into Redis and return; `vigie worker SPIDER` crawls it."
        ),
    ] = False,
) -> None:
    """Run one spider; the run, its purpose and its report are stored."""
    from vigie.crawl import Launch, parse_spider_args, run_crawl

    launch = Launch(spider, purpose, parse_spider_args(arg or []), case, launched_by, user)
    if enqueue:
        from vigie.distributed import enqueue_crawl

        queued = enqueue_crawl(_settings(), launch)
        console.print(
            f"run {queued.run_id}: distributed crawl {queued.crawl_key} enqueued with "
            f"{queued.seeded} start requests; start workers with `vigie worker {spider}`",
            markup=False,
        )
        return
    run = run_crawl(_settings(), launch, progress=progress, resume=resume)
    report = run.report or {}
    console.print(
        f"run {run.id} ({run.status}): {run.pages_seen} pages, "
        f"{run.items_scraped} items, {run.errors_count} problems",
        markup=False,
    )
    for note in report.get("notes", []):
        console.print(f"  note: {note}", markup=False, soft_wrap=True)
    for problem in report.get("problems", [])[:20]:
        console.print(
            f"  {problem.get('kind')}: {problem.get('url')} — {problem.get('message')}",
            markup=False,
            highlight=False,
        )
    if run.status == "failed":
        raise typer.Exit(3)
    if run.status == "skipped":  # the same crawl runs elsewhere: EX_TEMPFAIL, try later
        raise typer.Exit(75)


@app.command()
def worker(
    spider: Annotated[str, typer.Argument(help="Spider whose distributed crawl to join.")],
    idle_timeout: Annotated[
        float, typer.Option(help="Leave once the shared queue stayed empty this long (s).")
    ] = 10.0,
    crawl: Annotated[
        str | None, typer.Option(help="Join this crawl key instead of the spider's current.")
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Wait this long (s) for a crawl to be enqueued (scheduler).")
    ] = 0.0,
    progress: Annotated[bool, typer.Option(help="Show a live progress line.")] = False,
) -> None:
    """Join the spider's distributed crawl (VIGIE_REDIS_URL): fetch, capture and store its
    pages until its queue stays empty; the last worker out closes the crawl."""
    from vigie.distributed import run_worker

    run = run_worker(_settings(), spider, idle_timeout, progress, crawl, wait)
    console.print(
        f"worker run {run.id} ({run.status}): {run.pages_seen} pages, "
        f"{run.items_scraped} items, {run.errors_count} problems",
        markup=False,
    )
    if run.status == "failed":
        raise typer.Exit(3)


@app.command()
def investigate(
    purpose: Annotated[str, typer.Option(help="Why this investigation is run (recorded).")],
    number: Annotated[str | None, typer.Option(help="Enterprise number.")] = None,
    name: Annotated[str | None, typer.Option(help="Enterprise or employer name.")] = None,
    person: Annotated[str | None, typer.Option(help="A person's name.")] = None,
    address: Annotated[str | None, typer.Option(help="Address (postcode or town needed).")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number.")] = None,
    case: Annotated[str | None, typer.Option(help="Case reference (legal basis).")] = None,
    user: Annotated[str | None, typer.Option(help="Analyst launching it.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Every source on this base URL "
                                                 "(the demo web).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the plan only; fetch nothing.")] = False,
    out: Annotated[Path | None, typer.Option(help="Save the report as JSON.")] = None,
) -> None:
    """Targeted launch on one enterprise, name, person, address or phone: register, Gazette,
    job-board searches, company websites; reports what each source found."""
    from vigie.investigate import Target
    from vigie.investigate_run import Launch, run_investigation

    target = Target.of(number, name, person, address, phone)
    report = run_investigation(_settings(), target, Launch(purpose, case, user, base_url),
                               console, dry_run=dry_run, out=out)
    if any(step.get("status") == "crashed" for step in report.get("steps", [])):
        raise typer.Exit(3)


@app.command()
def extract(
    spider: Annotated[str, typer.Option(help="Spider whose parser to use.")],
    url: Annotated[str, typer.Option(help="URL the page was fetched from.")],
    file: Annotated[Path, typer.Argument(help="Saved page (HTML).", exists=True, dir_okay=False)],
) -> None:
    """Run a spider's parser on a saved page and print its items as JSON lines."""
    from spiders.parsers import extract_page

    item = extract_page(spider, file.read_bytes(), url)
    sys.stdout.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="At most this many (newest first).")] = 20,
) -> None:
    """List crawl runs with their status, coverage and problem count."""
    from sqlmodel import Session, select

    from storage.models import CrawlRun

    engine = _engine(_settings())
    table = Table(
        "id",
        "spider",
        "status",
        "launched by",
        "purpose",
        "started",
        "pages",
        "blocked",
        "items",
        "problems",
    )
    with Session(engine) as session:
        query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)  # type: ignore[union-attr]
        for r in session.exec(query).all():
            table.add_row(
                str(r.id),
                r.spider,
                r.status,
                r.user or r.launched_by,
                r.purpose,
                f"{r.started_at:%Y-%m-%d %H:%M}",
                str(r.pages_seen),
                str(r.pages_blocked),
                str(r.items_scraped),
                str(r.errors_count),
            )
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: Annotated[int, typer.Argument(help="Crawl run id.")]) -> None:
    """Print one crawl run's full report as JSON."""
    from sqlmodel import Session

    from storage.models import CrawlRun

    engine = _engine(_settings())
    with Session(engine) as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise VigieError(f"no crawl run {run_id}")
        data = run.model_dump(exclude={"stats"})
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=1) + "\n")


# -- demo -----------------------------------------------------------------------------------
@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the synthetic web.")] = 7,
    size: Annotated[int, typer.Option(help="Number of job ads.")] = 300,
    serve: Annotated[bool, typer.Option(help="Serve the review UI at the end.")] = True,
    host: Annotated[str, typer.Option(help="Review UI host.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Review UI port.")] = 8000,
) -> None:
    """Crawl the bundled offline web, match, raise signals, then serve the review UI."""
    from vigie.demo_run import run_demo

    settings = _settings()
    summary = run_demo(settings, seed=seed, size=size, console=console)
    if serve:
        _serve(settings, host, port, summary.get("login"))


# -- review UI --------------------------------------------------------------------------------
def _serve(settings: Settings, host: str, port: int, login: tuple[str, str] | None = None) -> None:
    import uvicorn

    from review.app import create_app, settle_for_serving

    _engine(settings).dispose()
    console.print(f"Review UI on http://{host}:{port}/ (Ctrl+C to stop)")
    if login:
        console.print(f"  log in as [bold]{login[0]}[/] with password [bold]{login[1]}[/]")
    # Off loopback the session cookie must only travel over HTTPS (behind a TLS proxy).
    loopback = host in ("127.0.0.1", "localhost", "::1")
    web = create_app(settings, https_only=not loopback)
    settle_for_serving()
    uvicorn.run(web, host=host, port=port, log_level="warning")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the review web UI and its JSON API."""
    _serve(_settings(), host, port)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="analyst | reviewer | admin")] = "analyst",
    password: Annotated[str | None, typer.Option(help="Password (prompted when omitted).")] = None,
) -> None:
    """Create an account for the review UI."""
    from review.auth import create_user
    from storage.db import session_scope

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = _engine(_settings())
    with session_scope(engine) as session:
        create_user(session, username, password, role)
    console.print(f"user {username} ({role}) created")


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument(help="Login name of the token's owner.")],
    label: Annotated[str, typer.Option(help="What the token is for (shown on /tokens).")],
) -> None:
    """Create a personal API token for a user (printed once; only its SHA-256 is kept)."""
    from sqlmodel import select

    from review.auth import create_api_token
    from storage.db import session_scope
    from storage.models import User

    engine = _engine(_settings())
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise VigieError(f"no user named {username!r}")
        token, secret = create_api_token(session, user, label)
    err_console.print(f"token {token.id} ({label}) for {username}; it acts with the "
                      f"{user.role} role. Shown once:", markup=False)
    print(secret)


# -- register ---------------------------------------------------------------------------------
Column = Annotated[str | None, typer.Option(help="Column name in the CSV header.")]


@register_app.command("import")
def register_import(
    kind: Annotated[str, typer.Argument(help="Format: kbo (KBO Open Data dump) or csv.")],
    path: Annotated[Path, typer.Argument(help="Dump folder/zip, or CSV file.", exists=True)],
    name: Annotated[str | None, typer.Option(help="csv: column of the employer name.")] = None,
    number: Column = None,
    address: Column = None,
    postcode: Column = None,
    phone: Column = None,
    email: Column = None,
    website: Column = None,
    id: Column = None,
    force: Annotated[
        bool,
        typer.Option(help="kbo: apply an extract even if already applied or out of sequence."),
    ] = False,
    prepare_matcher: Annotated[
        bool,
        typer.Option(help="Build the crawls' matcher of a large register (20,000 employers "
                     "or more) now, so that the next crawl starts at once."),
    ] = True,
) -> None:
    """Import or refresh the employer register (KBO Open Data full or update extract, or any
    employer CSV)."""
    from vigie.register import import_csv, import_kbo
    from vigie.register import prepare_matcher as prepare

    settings = _settings()
    if kind == "kbo":
        counts = import_kbo(settings, path, console=console, force=force)
    elif kind == "csv":
        if not name:
            raise VigieError("register import csv needs --name COLUMN")
        counts = import_csv(
            settings, path, name, number, address, postcode, phone, id, console=console,
            email_col=email, website_col=website,
        )
    else:
        raise VigieError(f"unknown register format {kind!r} (supported: kbo, csv)")
    console.print(", ".join(f"{v} {k}" for k, v in counts.items()))
    if prepare_matcher:
        with console.status("preparing the crawls' matcher of the register…"):
            started = time.monotonic()
            ready = prepare(settings)
        if ready is not None:
            console.print(f"crawls' matcher ready in {time.monotonic() - started:.0f} s: {ready}")


@app.command("match")
def match_file(
    file: Annotated[Path, typer.Argument(help="CSV list to match.", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option(help="Output CSV (every input column + the match).")],
    name: Annotated[str, typer.Option(help="Column of the employer name.")],
    number: Column = None,
    address: Column = None,
    postcode: Column = None,
    phone: Column = None,
    email: Column = None,
    website: Column = None,
) -> None:
    """Match any employer list against the register (batch datamatching)."""
    from vigie.batch_match import match_csv

    counts = match_csv(
        _settings(), file, out, name, number, address, postcode, phone, console=console,
        email_col=email, website_col=website,
    )
    console.print(f"{out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@app.command("evaluate")
def evaluate(
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Labelled set (repeatable): " "dnb, patstat, fodors_zagat, demo."
        ),
    ] = None,
    data_root: Annotated[Path | None, typer.Option(help="Folder of the labelled sets.")] = None,
) -> None:
    """Precision, recall and F1 of the matcher and of a rapidfuzz baseline on labelled data."""
    from vigie.evaluate import run_evaluation

    run_evaluation(data_root, set_ or None, console)


# -- clustering -------------------------------------------------------------------------------
@app.command("cluster")
def cluster(
    max_names: Annotated[
        int, typer.Option(help="An identifier written with more provider names than this is "
                          "a shared line (hotline, call centre), not a link.")
    ] = 10,
    show: Annotated[int, typer.Option(help="How many of the largest clusters to list.")] = 20,
) -> None:
    """Group the same job ad seen on several boards and the listings of one provider (rewrites
    the cluster tables only; records are never modified)."""
    from rich.text import Text

    from entity_resolution.cluster import ClusterOptions
    from pipelines.clustering import rebuild_clusters

    engine = _engine(_settings())
    report = rebuild_clusters(engine, ClusterOptions(max_names=max_names), largest=show)
    table = Table("cluster", "kind", "records", "sources", "label")
    for c in report.largest:
        table.add_row(c.id, "same ad" if c.kind == "job_ad" else "same provider",
                      str(len(c.members)), Text(", ".join(c.sources)), Text(c.label))
    console.print(table)
    for capped in report.capped:
        console.print(Text(f"not used as a link: {capped.reason}"))
    w = report.written
    console.print(
        f"{report.algorithm_version}: {report.clusters['job_ad']} same-ad clusters "
        f"({report.clustered_records['job_ad']} of {report.records['job_ad']} job ads), "
        f"{report.clusters['listing']} same-provider clusters "
        f"({report.clustered_records['listing']} of {report.records['listing']} listings); "
        f"{w.created} new, {w.updated} changed, {w.deleted} removed, {w.unchanged} unchanged "
        f"in {report.seconds:.1f} s"
    )
    from signals.engine import detect_network
    from storage.db import session_scope

    with session_scope(engine) as session:  # reposted ads and other network rules read clusters
        touched = detect_network(session)
    console.print(f"network rules re-run: {len(touched)} signals raised or confirmed")


# -- signals ----------------------------------------------------------------------------------
@signals_app.command("list")
def signals_list(
    format: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 1000,
) -> None:
    """List signals (newest first)."""
    from vigie.exports import signal_rows, write_csv

    engine = _engine(_settings())
    rows = signal_rows(engine, rule=rule, status=status, limit=limit)
    if format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str, indent=1) + "\n")
    elif format == "csv":
        write_csv(sys.stdout, rows)
    elif format == "table":
        table = Table("id", "rule", "severity", "status", "title", "district", "seen")
        for row in rows:
            table.add_row(
                str(row["id"]),
                row["rule"],
                row["severity"],
                row["status"],
                row["title"],
                row["district"] or "",
                str(row["occurrences"]),
            )
        console.print(table)
    else:
        raise VigieError(f"unknown format {format!r} (table, json or csv)")


# -- evidence ---------------------------------------------------------------------------------
@evidence_app.command("verify")
def evidence_verify() -> None:
    """Re-read and re-hash every capture; exit non-zero naming any that changed."""
    from vigie.verify import verify_evidence

    settings = _settings()
    engine = _engine(settings)
    checked, problems = verify_evidence(engine, settings.evidence_dir, console=console)
    for problem in problems:
        err_console.print(problem, markup=False, highlight=False)
    if problems:
        err_console.print(f"{len(problems)} of {checked} captures FAILED verification")
        raise typer.Exit(1)
    console.print(f"{checked} captures verified: all hashes match")


@evidence_app.command("verify-bundle")
def evidence_verify_bundle(
    bundle: Annotated[Path, typer.Argument(help="A dossier's evidence bundle (.zip).")],
) -> None:
    """Check a dossier's evidence bundle on its own: file hashes against its manifest, and
    every WARC record against the SHA-256 recorded at crawl time. Exit 1 on any problem."""
    from vigie.verify import verify_bundle

    manifest, problems = verify_bundle(bundle)
    for problem in problems:
        err_console.print(problem, markup=False, highlight=False)
    if problems:
        err_console.print(f"bundle FAILED verification: {len(problems)} problem(s)")
        raise typer.Exit(1)
    dossier = manifest.get("dossier", {})
    console.print(f"bundle of dossier {dossier.get('id')} ({dossier.get('title')}) verified: "
                  f"{len(manifest.get('files', []))} files, "
                  f"{len(manifest.get('captures', []))} captures, all hashes match",
                  markup=False, highlight=False)


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[str | None, typer.Option(
        help="Hash of the last event noted earlier: also detects removal of the newest rows."
    )] = None,
) -> None:
    """Re-hash the whole audit log; exit non-zero naming any edited, removed or inserted row."""
    from sqlmodel import Session, select

    from storage.audit import chain_head, verify_chain
    from storage.models import AuditEvent

    settings = _settings()
    with Session(_engine(settings)) as session:
        problems = verify_chain(session)
        count, head = chain_head(session)
        if expect_head and expect_head != head:
            known = session.exec(select(AuditEvent.id).where(AuditEvent.hash == expect_head))
            if known.first() is None:
                problems.append(f"the expected head {expect_head} is no longer in the log "
                                "(newest events were removed or the chain was rewritten)")
    for problem in problems:
        err_console.print(problem, markup=False, highlight=False)
    if problems:
        err_console.print(f"audit log FAILED verification: {len(problems)} problem(s)")
        raise typer.Exit(1)
    console.print(f"{count} audit events verified; head {head}")


# -- scheduler --------------------------------------------------------------------------------
@schedule_app.command("add")
def schedule_add(
    spider: Annotated[str, typer.Argument(help="Spider to run.")],
    cron: Annotated[str, typer.Option(help='Five-field cron expression (UTC), e.g. "0 3 * * *".')],
    purpose: Annotated[str, typer.Option(help="Why this crawl runs (recorded).")],
    arg: Annotated[list[str] | None, typer.Option("-a", help="Spider argument key=value.")] = None,
    time_limit: Annotated[int | None, typer.Option(
        help="Seconds a run may take before it is stopped (default: VIGIE_CRAWL_TIME_LIMIT).",
        min=1,
    )] = None,
) -> None:
    """Schedule a recurring crawl."""
    from scheduler.service import parse_cron
    from spiders.source import load_source
    from storage.db import session_scope
    from storage.models import Schedule
    from vigie.crawl import parse_spider_args

    parse_cron(cron)
    load_source(spider)
    engine = _engine(_settings())
    with session_scope(engine) as session:
        schedule = Schedule(
            spider=spider, cron=cron, purpose=purpose, args=parse_spider_args(arg or []),
            time_limit=time_limit,
        )
        session.add(schedule)
        session.flush()
        console.print(f"schedule {schedule.id}: {spider} at '{cron}'")


@schedule_app.command("list")
def schedule_list() -> None:
    """List schedules."""
    from sqlmodel import Session, select

    from storage.models import Schedule

    engine = _engine(_settings())
    table = Table("id", "spider", "cron", "enabled", "time limit (s)", "purpose")
    with Session(engine) as session:
        for s in session.exec(select(Schedule)).all():
            limit = str(s.time_limit) if s.time_limit else "default"
            table.add_row(str(s.id), s.spider, s.cron, str(s.enabled), limit, s.purpose)
    console.print(table)


@app.command("scheduler")
def scheduler_run() -> None:
    """Run the scheduler service: start due crawls, each recorded as a CrawlRun."""
    from scheduler.service import run_service

    settings = _settings()
    _engine(settings).dispose()
    console.print("scheduler running (Ctrl+C to stop); while another scheduler is active on "
                  "this database, this one waits as its standby")
    run_service(settings.db_url, str(settings.data_dir.resolve()), settings.redis_url,
                time_limit=settings.crawl_time_limit,
                misfire_grace=settings.scheduler_misfire_grace,
                lease_seconds=settings.crawl_lease_seconds)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    settings = _settings()
    _engine(settings).dispose()
    console.print(f"database at {settings.db_url} is up to date")


def main() -> None:
    """Entry point: the single place where expected errors become messages and exit codes."""
    import click
    from sqlalchemy.exc import DBAPIError

    try:
        # Without standalone mode, click returns the code of ``typer.Exit`` instead of raising.
        code = app(standalone_mode=False)
    except VigieError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except DBAPIError as exc:  # locked, down, or a schema older than the code
        detail = str(exc.orig if exc.orig is not None else exc).splitlines()[0]
        hint = ("another process holds the database; retry" if "locked" in detail
                else "is the database reachable and its schema current (`vigie db upgrade`)?")
        err_console.print(f"error: database error: {detail} — {hint}", markup=False,
                          highlight=False)
        sys.exit(75 if "locked" in detail else 1)  # 75: EX_TEMPFAIL, worth retrying
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
