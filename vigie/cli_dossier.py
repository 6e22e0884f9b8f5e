"""``vigie dossier …``: build and export dossiers from the command line (the web UI does the
same). Every change and every export is written to the audit log under ``--user`` (default:
the operating-system account running the command)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vigie.settings import Settings

dossier_app = typer.Typer(help="Dossiers: case files of signals and entities, and their exports.",
                          no_args_is_help=True)
console = Console()

UserOption = Annotated[str | None, typer.Option(
    "--user", help="Who acts, for the audit log (default: the OS account).")]


def _who(user: str | None) -> str:
    return user or f"cli:{getpass.getuser()}"


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from storage.db import make_engine, upgrade

    upgrade(settings.db_url)
    return make_engine(settings.db_url)


def _settings() -> Settings:
    settings = Settings()
    settings.ensure_dirs()
    return settings


@dossier_app.command("create")
def dossier_create(
    title: Annotated[str, typer.Argument(help="What the case is about.")],
    case: Annotated[str | None, typer.Option("--case", help="Case reference.")] = None,
    user: UserOption = None,
) -> None:
    """Open a new, empty dossier; prints its id."""
    from sqlmodel import Session

    from storage.dossiers import create_dossier

    with Session(_engine(_settings())) as session:
        dossier = create_dossier(session, title, _who(user), case)
        session.commit()
        console.print(f"dossier {dossier.id} created: {dossier.title}", markup=False)


@dossier_app.command("add")
def dossier_add(
    dossier_id: Annotated[int, typer.Argument(help="Dossier id.")],
    signal: Annotated[list[int] | None, typer.Option("--signal", help="Signal id (repeat).")]
    = None,
    employer: Annotated[int | None, typer.Option("--employer", help="Employer id.")] = None,
    person: Annotated[int | None, typer.Option("--person", help="Person id.")] = None,
    note: Annotated[str, typer.Option("--note", help="A note (alone or with the item).")] = "",
    user: UserOption = None,
) -> None:
    """Add signals, an employer, a person or a note to a dossier."""
    from sqlmodel import Session

    from storage.dossiers import add_item

    who = _who(user)
    with Session(_engine(_settings())) as session:
        added = 0
        for signal_id in signal or []:
            add_item(session, dossier_id, who, signal_id=signal_id, note=note)
            added += 1
        if employer is not None or person is not None or (note and not signal):
            add_item(session, dossier_id, who, employer_id=employer, person_id=person,
                     note=note)
            added += 1
        session.commit()
    console.print(f"{added} item(s) added to dossier {dossier_id}")


@dossier_app.command("list")
def dossier_list() -> None:
    """Dossiers, newest first."""
    from sqlmodel import Session

    from storage.dossiers import list_dossiers

    table = Table("id", "title", "case", "created by", "created (UTC)", "items")
    with Session(_engine(_settings())) as session:
        for d, count in list_dossiers(session):
            table.add_row(str(d.id), d.title, d.case_ref or "", d.created_by,
                          d.created_at.strftime("%Y-%m-%d %H:%M"), str(count))
    console.print(table)


@dossier_app.command("export")
def dossier_export(
    dossier_id: Annotated[int, typer.Argument(help="Dossier id.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    format: Annotated[str, typer.Option(
        "--format", help="html | pdf | json | bundle | ftm")] = "bundle",
    user: UserOption = None,
) -> None:
    """Export a dossier: report (html/pdf), JSON, evidence bundle (zip) or FollowTheMoney."""
    from sqlmodel import Session

    from review.dossier_export import export_dossier
    from storage.evidence import EvidenceStore

    settings = _settings()
    with Session(_engine(settings)) as session:
        exported = export_dossier(session, dossier_id, format, EvidenceStore(
            settings.evidence_dir), _who(user), settings.chromium_executable, settings.data_dir)
        session.commit()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(exported.data)
    tmp.replace(out)
    console.print(f"{out} written ({len(exported.data)} bytes, sha256 {exported.sha256})",
                  markup=False, highlight=False)


def targets(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    district: Annotated[str | None, typer.Option(
        "--district", help="Only this judicial district (id, e.g. BRU).")] = None,
    format: Annotated[str, typer.Option(
        "--format", help="table | csv | xlsx | html | pdf | json")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (not for table).")]
    = None,
    user: UserOption = None,
) -> None:
    """The monthly target list: addresses with open signals, ranked per judicial district."""
    from sqlmodel import Session

    from review.target_export import district_name, render
    from signals.targets import build_target_list
    from storage.audit import append_event
    from storage.evidence import sha256_hex
    from vigie.errors import VigieError

    settings = _settings()
    with Session(_engine(settings)) as session:
        listing = build_target_list(session, month, district)
        if format == "table":
            for dist, rows in listing.by_district():
                table = Table("#", "address", "kind", "enterprises", "signals", "score",
                              title=f"{district_name(dist)} — {month}")
                for r in rows:
                    x = r.as_dict()
                    table.add_row(str(x["rank"]), f"{x['street']} {x['postcode']} "
                                  f"{x['municipality']}".strip(), str(x["kind"]),
                                  str(x["enterprises"]), f"{x['signals']} ({x['top_severity']})",
                                  str(x["score"]))
                console.print(table)
            if not listing.rows:
                console.print(f"no open signal was seen in {month}")
            return
        if out is None:
            raise VigieError("--out is required for this format")
        data = render(listing, format, settings.chromium_executable, settings.data_dir)
        digest = sha256_hex(data)
        append_event(session, _who(user), "targets.export", f"targets:{month}",
                     {"format": format, "district": district, "rows": len(listing.rows),
                      "sha256": digest})
        session.commit()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    console.print(f"{out} written: {len(listing.rows)} addresses, sha256 {digest}", markup=False,
                  highlight=False)


retention_app = typer.Typer(help="Retention of records and captures.", no_args_is_help=True)


@retention_app.command("purge")
def retention_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; change nothing.")]
    = False,
    user: UserOption = None,
) -> None:
    """Delete records and captures older than their source's retention period that no signal,
    dossier, register entry or role cites (rows and archived bytes); audited. The scheduler
    runs it daily."""
    from vigie.retention import run_retention

    report = run_retention(_settings(), _who(user), dry_run=dry_run)
    table = Table("source", "days", "records", "captures",
                  title="retention " + ("(dry run)" if dry_run else "purge"))
    for source, days in sorted(report.policies.items()):
        table.add_row(source, str(days), str(report.records.get(source, 0)),
                      str(report.captures.get(source, 0)))
    console.print(table)
    console.print(f"kept because cited: {report.kept_cited_records} records; WARC files deleted "
                  f"{report.warc_files_deleted}, compacted {report.warc_files_compacted}; "
                  f"screenshots deleted {report.screenshots_deleted}; "
                  f"{report.bytes_freed} bytes freed")
