"""Runs an investigation's plan (see :mod:`vigie.investigate`): one ``vigie crawl`` child
process per crawl step, in waves — the register first (what later steps derive from), then every
other source at the same time (never two runs of one source at once, so each source's own
politeness holds), then the database summary — each run recorded with the investigation's
purpose, case reference and id, its findings read back from the database.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.text import Text
from sqlmodel import Session, select

from entity_resolution.names import normalize_name
from scheduler.runner import crawl_command
from storage.audit import append_event
from storage.db import make_engine, session_scope, upgrade
from storage.models import CrawlRun, Employer, utcnow
from vigie.investigate import (
    BOARD_LIMIT,
    DB,
    LIMITS,
    MAX_FANOUT,
    SEARCH_KEYS,
    InvestigationError,
    Step,
    Target,
    demo_site_path,
    plan,
    print_plan,
    print_report,
    summarize_sources,
)
from vigie.investigate_findings import (
    database_findings,
    person_findings,
    run_findings,
    verdict,
)
from vigie.settings import Settings

PARALLEL = 4
"""Crawls of one wave run at the same time (different sources only)."""
CRAWL_TIME_LIMIT = 15 * 60


@dataclass
class Launch:
    """Who launches the investigation, why, where."""

    purpose: str
    case_ref: str | None = None
    user: str | None = None
    base_url: str | None = None  # every source on this base URL (the demo web)
    id: str = field(default_factory=lambda: f"inv-{utcnow():%Y%m%dT%H%M%S}-"
                    f"{secrets.token_hex(3)}")


@dataclass
class State:
    """What earlier steps found, for the later ones."""

    numbers: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # found but beyond MAX_FANOUT

    def add(self, numbers: list[str]) -> None:
        for number in numbers:
            if number in self.numbers or number in self.dropped:
                continue
            if len(self.numbers) < MAX_FANOUT:
                self.numbers.append(number)
            else:
                self.dropped.append(number)


class Investigation:
    """Runs a plan: one crawl per step, each recorded; the findings are read back per run."""

    def __init__(self, settings: Settings, target: Target, launch: Launch,
                 console: Console | None = None) -> None:
        if not launch.purpose or not launch.purpose.strip():
            raise InvestigationError(
                "every investigation needs a purpose (--purpose): it is recorded with each "
                "crawl it launches, for review"
            )
        self.settings = settings
        self.target = target
        self.launch = launch
        self.console = console or Console()
        self.steps = plan(target)
        self.state = State()
        if target.number:
            self.state.add([target.number])

    # -- the whole investigation -------------------------------------------------------------
    def waves(self) -> list[list[int]]:
        """Step indices grouped into waves run one after another. A wave's crawls run at the same
        time, at most ``PARALLEL`` and never two of one source (each source's politeness holds:
        one run at a time per source). Order: people in the database, then the register (what
        the later steps derive from), then every other source, then the database summary."""
        def phase(step: Step) -> int:
            if step.source == DB:
                return 0 if "person" in step.args else 3
            if step.not_covered:
                return 0
            return 1 if step.source == "registry" else 2

        waves: list[list[int]] = []
        for p in range(4):
            left = [i for i, step in enumerate(self.steps) if phase(step) == p]
            while left:
                wave: list[int] = []
                for i in left:
                    if len(wave) < PARALLEL and all(
                            self.steps[j].source != self.steps[i].source or
                            self.steps[i].not_covered for j in wave):
                        wave.append(i)
                waves.append(wave)
                left = [i for i in left if i not in wave]
        return waves

    def run(self) -> dict[str, Any]:
        self.settings.ensure_dirs()
        upgrade(self.settings.db_url)
        engine = make_engine(self.settings.db_url)
        started = utcnow()
        results: dict[int, dict[str, Any]] = {}
        try:
            self._audit(engine, "investigation.start", {
                "target": self.target.given(), "purpose": self.launch.purpose.strip(),
                "case_ref": self.launch.case_ref,
                "plan": [f"{s.source} {s.describe()}".strip() for s in self.steps]})
            progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                TextColumn("{task.completed}/{task.total} steps"),
                                console=self.console, transient=True)
            with progress:
                task = progress.add_task("investigation", total=len(self.steps))
                for wave in self.waves():
                    names = ", ".join(self.steps[i].source for i in wave)
                    progress.update(task, description=f"running: {names}"[:90])
                    for i, result in self.run_wave(engine, wave):
                        result["step"] = i + 1
                        results[i] = result
                        progress.advance(task)
                        self.console.print(Text(f"step {i + 1} {result['source']}: "
                                                f"{result['verdict']}"))
            ordered = [results[i] for i in sorted(results)]
            report = {
                "investigation": self.launch.id,
                "purpose": self.launch.purpose.strip(),
                "case_ref": self.launch.case_ref,
                "user": self.launch.user,
                "target": self.target.given(),
                "started_at": started.isoformat(),
                "finished_at": utcnow().isoformat(),
                "enterprises_followed": list(self.state.numbers),
                "enterprises_not_followed": list(self.state.dropped),
                "notes": ([f"{len(self.state.dropped)} more enterprises found than the "
                           f"{MAX_FANOUT} followed (proportionality): "
                           + ", ".join(self.state.dropped)] if self.state.dropped else []),
                "steps": ordered,
                "sources": summarize_sources(ordered),
            }
            self._audit(engine, "investigation.finish", {
                "runs": [r["run_id"] for r in ordered if r.get("run_id")],
                "verdicts": {f"{r['step']}:{r['source']}": r["verdict"] for r in ordered},
                "purpose": report["purpose"], "case_ref": self.launch.case_ref})
            return report
        finally:
            engine.dispose()

    def _audit(self, engine: Any, action: str, details: dict[str, Any]) -> None:
        with session_scope(engine) as session:
            append_event(session, self.launch.user or "analyst", action,
                         f"investigation:{self.launch.id}", details)

    # -- one wave, one step ------------------------------------------------------------------
    def run_wave(self, engine: Any, wave: list[int]) -> list[tuple[int, dict[str, Any]]]:
        """Run the steps of one wave: lookups at once, crawls as concurrent child processes."""
        done: list[tuple[int, dict[str, Any]]] = []
        children: list[tuple[int, dict[str, Any], Child]] = []
        for i in wave:
            step = self.steps[i]
            base: dict[str, Any] = {"source": step.source, "why": step.why,
                                    "args": dict(step.args)}
            if step.not_covered:
                done.append((i, {**base, "status": "not_covered",
                                 "verdict": f"not covered: {step.not_covered}"}))
                continue
            args, missing = self.resolve(engine, step)
            base["args"] = args
            if missing:
                done.append((i, {**base, "status": "skipped", "verdict": f"skipped: {missing}"}))
            elif step.source == DB:
                with Session(engine) as session:
                    if "person" in args:
                        found = person_findings(session, args["person"])
                        self.state.add(found.pop("numbers"))
                    else:
                        found = database_findings(session, args)
                done.append((i, {**base, "status": "done", **found, "verdict": verdict(found)}))
            else:
                children.append((i, base, self.start_crawl(step, args, i + 1)))
        for i, base, child in children:
            done.append((i, {**base, **self.finish_crawl(engine, child)}))
        return sorted(done, key=lambda pair: pair[0])

    def resolve(self, engine: Any, step: Step) -> tuple[dict[str, str], str | None]:
        """The step's arguments with the derived ones filled in, or the reason it cannot run."""
        args = dict(step.args)
        if step.derive is None:
            return args, None
        numbers = list(self.state.numbers)
        if step.derive == "numbers":
            if numbers:
                args["numbers"] = ",".join(numbers)
            elif not SEARCH_KEYS & set(args):
                return args, "no enterprise found by the steps before"
            return args, None
        with Session(engine) as session:
            employers = [e for n in numbers for e in session.exec(
                select(Employer).where(Employer.enterprise_number == n)).all()]
        if step.derive == "domains":
            sites = []
            for employer in employers:
                if employer.website:
                    site = (demo_site_path(employer.website) if self.launch.base_url
                            else employer.website)
                    if site and site not in sites:
                        sites.append(site)
            if not sites:
                return args, "the register gives no website for the enterprises followed"
            args["domains"] = ",".join(sites)
            return args, None
        if step.derive == "employer_name":
            named = [e for e in employers if e.enterprise_number == self.target.number]
            if not named:
                return args, f"the register has no enterprise {self.target.number}"
            args["query"] = normalize_name(named[0].name).core or named[0].name
            return args, None
        raise InvestigationError(f"unknown derivation {step.derive!r}")

    def start_crawl(self, step: Step, args: dict[str, str], number: int) -> Child:
        """Start one ``vigie crawl`` child process (no shell; arguments as a vector)."""
        spider_args = dict(args)
        spider_args.setdefault("limit", str(LIMITS.get(step.source, BOARD_LIMIT)))
        spider_args["investigation"] = self.launch.id
        spider_args["investigation_step"] = str(number)
        if self.launch.base_url:
            spider_args["base_url"] = self.launch.base_url
        cmd = crawl_command(step.source, self.launch.purpose.strip(), spider_args,
                            launched_by="analyst", case_ref=self.launch.case_ref)
        if self.launch.user:
            cmd += ["--user", self.launch.user]
        process = subprocess.Popen(cmd, env=child_env(self.settings), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        return Child(step, args, str(number), process, utcnow())

    def finish_crawl(self, engine: Any, child: Child) -> dict[str, Any]:
        """Wait for a crawl child, then read its CrawlRun and findings back."""
        try:
            _, err = child.process.communicate(timeout=CRAWL_TIME_LIMIT)
            code, tail = child.process.returncode, err[-1500:]
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.communicate()
            code, tail = -1, f"killed after {CRAWL_TIME_LIMIT} s"
        with Session(engine) as session:
            runs = session.exec(select(CrawlRun).where(CrawlRun.spider == child.step.source)
                                .order_by(CrawlRun.id.desc()).limit(50)).all()  # type: ignore[union-attr]
            run = next((r for r in runs if (r.args or {}).get("investigation") == self.launch.id
                        and (r.args or {}).get("investigation_step") == child.number), None)
            if run is None:
                return {"status": "crashed", "exit_code": code,
                        "verdict": f"not covered: the crawl did not start (exit {code}): "
                                   f"{last_line(tail)}"}
            found = run_findings(session, run, child.started)
            if child.step.source == "registry" and "address" not in child.args:
                self.state.add(found["enterprise_numbers"])
        found["exit_code"] = code
        crashed = code not in (0, 3)
        return {"status": "crashed" if crashed else "done", **found,
                "verdict": verdict(found, crashed=crashed)}


@dataclass
class Child:
    """A crawl running in its own process for one step."""

    step: Step
    args: dict[str, str]
    number: str
    process: subprocess.Popen[str]
    started: datetime


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a crawl child: this process's settings, so the child sees the same
    database, data folder and politeness settings (the operator's, never changed here)."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is None or name == "secret_key":
            continue
        if isinstance(value, Path):
            value = value.resolve()
        env[f"VIGIE_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    env["VIGIE_DATABASE_URL"] = settings.db_url
    return env


def run_investigation(settings: Settings, target: Target, launch: Launch,
                      console: Console | None = None, dry_run: bool = False,
                      out: Path | None = None) -> dict[str, Any]:
    """Plan (and unless ``dry_run``, run) an investigation; print and optionally save it."""
    console = console or Console()
    investigation = Investigation(settings, target, launch, console)
    if dry_run:
        print_plan(console, investigation.steps)
        return {"target": target.given(), "plan": [asdict(s) for s in investigation.steps]}
    report = investigation.run()
    print_report(console, report)
    if out is not None:
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n",
                       encoding="utf-8")
        console.print(Text(f"report saved to {out}"))
    return report
