"""``vigie investigate``: one targeted launch that fans out to every source able to answer.

An analyst gives an enterprise number, a name, a person, an address and/or a phone, and the
mandatory purpose (and case reference) of the launch. :func:`plan` decides, from what is given,
which sources to ask and how; :func:`run_investigation` runs the steps in order, each as a real
crawl in its own process (``vigie crawl``, Twisted's reactor runs once per process) recorded as a
CrawlRun with the same purpose, case reference and investigation id (spider argument
``investigation``, so it is in the run's ``args`` and in its ``crawl.launch`` audit event). Later
steps use what earlier ones stored: the enterprises the register search found, the website and
the name the register gives for the enterprise. Every source keeps its own politeness (the
YAML's, or the operator's settings); nothing here overrides it.

Plan rules (``MAX_FANOUT`` bounds how many enterprises found are followed — proportionality):

- number → register page of the number; Gazette publications of the number; the enterprise's
  website as the register gives it; every searchable job board, searched for the register's name.
- name → the register's search by name (its enterprises are followed: Gazette, websites);
  every searchable job board searched for the name.
- address → the register's search by address; the enterprises found are reported, not followed
  (one address can hold hundreds of firms).
- phone → every searchable job board searched for the number; Vigie's own records and register.
- person → the people Vigie's database already knows from register pages and Gazette
  publications (Person/Role), then their enterprises as for a number. No public source here can be
  searched by a person's name: that is said in the report, never silently skipped.
- always, last: what Vigie already holds on the enterprises followed, the phone, the address.

Sources that cannot answer (a board without a search URL, the feed, the JavaScript classifieds)
appear in the plan and the report as "not covered", with the reason — never as "nothing found".
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
from rich.table import Table
from rich.text import Text
from sqlmodel import Session, select

from entity_resolution.identifiers import (
    normalize_enterprise_number,
    normalize_phone,
    registered_domain,
)
from entity_resolution.names import normalize_name
from scheduler.runner import crawl_command
from storage.audit import append_event
from storage.db import make_engine, session_scope, upgrade
from storage.models import CrawlRun, Employer, utcnow
from vigie.errors import VigieError
from vigie.investigate_findings import (
    database_findings,
    person_findings,
    run_findings,
    verdict,
)
from vigie.settings import Settings

MAX_FANOUT = 10
"""At most this many enterprises found by a search are followed (Gazette, websites)."""
LIMITS = {"registry": 25, "gazette": 20, "websites": 10}
"""Pages (registry, gazette) or sites (websites) per step; job boards: ``BOARD_LIMIT`` ads."""
BOARD_LIMIT = 60
PARALLEL = 4
"""Crawls of one wave run at the same time (different sources only)."""
CRAWL_TIME_LIMIT = 15 * 60
DB = "db"

NOT_SEARCHABLE_BY_PERSON = {
    "registry": "the KBO/BCE public search has no search by a natural person's name (only by "
                "number, name, address or activity); the person is looked up in Vigie's "
                "database (directors read on register pages) and their enterprises followed",
    "gazette": "the Gazette's publication lists (ejustice annexes) are searched by enterprise, "
               "not by the persons a publication names; appointments and resignations already "
               "read are in Vigie's database (Person/Role) and their enterprises followed",
}
LISTINGS_NOT_SEARCHABLE = (
    "the classifieds are rendered by JavaScript and offer no search the listings spider can "
    "use; listings already captured are searched in Vigie's database (last step)"
)


class InvestigationError(VigieError):
    """An investigation was refused (no purpose, nothing to look for, a malformed value)."""


@dataclass(frozen=True)
class Target:
    """What the analyst is looking for; values are checked and normalised by :meth:`of`."""

    number: str | None = None  # 10 digits
    name: str | None = None
    person: str | None = None
    address: str | None = None
    phone: str | None = None  # E.164

    @classmethod
    def of(
        cls,
        number: str | None = None,
        name: str | None = None,
        person: str | None = None,
        address: str | None = None,
        phone: str | None = None,
    ) -> Target:
        """A target from the analyst's input; a value that is not what it claims is refused."""
        from spiders import SpiderError
        from spiders.registry import parse_address

        clean = {k: (v or "").strip() or None for k, v in
                 {"number": number, "name": name, "person": person, "address": address,
                  "phone": phone}.items()}
        if not any(clean.values()):
            raise InvestigationError(
                "nothing to investigate: give --number, --name, --person, --address or --phone"
            )
        if clean["number"]:
            normal = normalize_enterprise_number(clean["number"])
            if normal is None:
                raise InvestigationError(f"not a valid enterprise number: {clean['number']!r}")
            clean["number"] = normal
        if clean["phone"]:
            e164 = normalize_phone(clean["phone"])
            if e164 is None:
                raise InvestigationError(f"not a valid phone number: {clean['phone']!r}")
            clean["phone"] = e164
        if clean["address"]:
            try:
                parse_address(clean["address"])
            except SpiderError as exc:
                raise InvestigationError(str(exc)) from exc
        return cls(**clean)

    def given(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class Step:
    """One question to one source.

    ``source`` is a spider name, or ``"db"`` for a lookup in Vigie's own database. ``derive``
    says which arguments are only known once earlier steps ran: ``numbers`` (the enterprises
    found so far), ``domains`` (their websites per the register), ``employer_name`` (the
    register's name of the enterprise number given). ``not_covered`` marks a source that cannot
    answer this question (the reason is reported; nothing is fetched).
    """

    source: str
    args: dict[str, str]
    why: str
    derive: str | None = None
    not_covered: str | None = None

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.args.items()]
        if self.derive:
            parts.append(f"{self.derive}=‹{DERIVED[self.derive]}›")
        return " ".join(parts)


SEARCH_KEYS = {"name", "address", "query", "person", "number", "phone"}
"""Arguments that make a step a question of its own (without them, a step deriving its
enterprise numbers and finding none is skipped, never run as a full crawl)."""
DERIVED = {
    "numbers": "enterprises found by the steps before",
    "domains": "their websites, as the register gives them",
    "employer_name": "the register's name of the enterprise",
}


def job_sources() -> tuple[list[str], dict[str, str]]:
    """Searchable job boards (``url_templates.search``), and the other job sources with the
    reason they cannot be searched."""
    from spiders.source import sources_of_kind

    searchable: list[str] = []
    other: dict[str, str] = {}
    for spec in sources_of_kind("job_board", "job_feed"):
        if "{query}" in spec.url_templates.get("search", ""):
            searchable.append(spec.name)
        elif spec.kind == "job_feed":
            other[spec.name] = "an XML feed of all ads: it has no search, only a full crawl"
        else:
            other[spec.name] = (f"no search URL in {spec.name}.yaml (url_templates.search): "
                                "the board can only be crawled whole")
    return searchable, other


def plan(target: Target) -> list[Step]:
    """The steps answering ``target``, in the order they run (rules: module docstring)."""
    steps: list[Step] = []
    follows = bool(target.number or target.name or target.person)
    if target.person:
        steps.append(Step(DB, {"person": target.person},
                          "people already known from register pages and Gazette publications, "
                          "and the enterprises where they hold a function"))
        for source, reason in NOT_SEARCHABLE_BY_PERSON.items():
            steps.append(Step(source, {"person": target.person}, "search by person",
                              not_covered=reason))
    if follows:
        args = {"name": target.name} if target.name else {}
        why = " and ".join(w for w in (
            "the register page of every enterprise given or found" if target.number or
            target.person else "",
            "the register's search by name" if target.name else "") if w)
        steps.append(Step("registry", args, why,
                          derive="numbers" if target.number or target.person else None))
    if target.address:
        steps.append(Step("registry", {"address": target.address},
                          "the register's search by address (enterprises reported, not "
                          "followed: one address can hold hundreds of firms)"))
    if follows:
        steps.append(Step("gazette", {"details": "1"},
                          "Gazette publications (appointments, resignations, bankruptcies) of "
                          "every enterprise followed", derive="numbers"))
        steps.append(Step("websites", {}, "the websites the register gives for the enterprises "
                          "followed (legal notice, contact, enterprise number)", derive="domains"))
    queries: list[tuple[dict[str, str], str | None, str]] = []
    if target.name:
        queries.append(({"query": target.name}, None, "ads naming the employer"))
    elif target.number:
        queries.append(({}, "employer_name", "ads of the enterprise, by its register name"))
    if target.phone:
        queries.append(({"query": national_phone(target.phone)}, None,
                        "ads giving the phone number"))
    boards, unsearchable = job_sources()
    for args, derive, why in queries:
        for board in boards:
            steps.append(Step(board, args, f"{board} search: {why}", derive=derive))
    if queries:
        for board, reason in unsearchable.items():
            steps.append(Step(board, {}, "job-ad search", not_covered=reason))
    if target.phone or target.name:
        steps.append(Step("listings", {}, "service-listing search",
                          not_covered=LISTINGS_NOT_SEARCHABLE))
    final = {k: v for k, v in target.given().items()
             if k in ("name", "phone", "address") or (k == "number" and not follows)}
    steps.append(Step(DB, final, "what Vigie already holds: records citing the enterprises "
                      "followed, the phone or the address, their matches and signals",
                      derive="numbers" if follows else None))
    return steps


def national_phone(e164: str) -> str:
    """``"+32470123456"`` → ``"0470 12 34 56"``: as a phone is written in Belgian ads."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def demo_site_path(website: str) -> str | None:
    """Where the demo web serves the site of ``www.<slug>.be``: ``/sites/<slug>/``."""
    domain = registered_domain(website.split("//")[-1].split("/")[0])
    if not domain:
        return None
    return f"/sites/{domain.split('.')[0]}/"


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


def summarize_sources(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per source: steps, pages, records, matched employers, signals, verdicts."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        s = out.setdefault(r["source"], {"steps": 0, "pages": 0, "blocked": 0, "records": 0,
                                         "matched_employers": 0, "signals_raised": 0,
                                         "signals_touched": 0, "problems": 0, "verdicts": []})
        s["steps"] += 1
        s["pages"] += r.get("pages", 0)
        s["blocked"] += r.get("blocked", 0)
        s["records"] += r.get("records", 0)
        s["matched_employers"] += len(r.get("matched_employers", []))
        s["signals_raised"] += len(r.get("signals_raised", []))
        s["signals_touched"] += len(r.get("signals_touched", []))
        s["problems"] += r.get("problem_count", 0)
        s["verdicts"].append(r["verdict"])
    return out


def print_plan(console: Console, steps: list[Step]) -> None:
    table = Table("#", "source", "arguments", "why", title="Investigation plan")
    for n, step in enumerate(steps, 1):
        why = f"NOT COVERED: {step.not_covered}" if step.not_covered else step.why
        table.add_row(str(n), step.source, Text(step.describe()), Text(why))
    console.print(table)


def print_report(console: Console, report: dict[str, Any]) -> None:
    table = Table("#", "source", "arguments", "run", "pages", "records", "employers",
                  "signals new/seen", "outcome",
                  title=f"Investigation {report['investigation']} — {report['purpose']}")
    for r in report["steps"]:
        employers = ", ".join(f"{e['enterprise_number'] or '?'} {e['name']}"
                              for e in r.get("matched_employers", [])[:3])
        more = len(r.get("matched_employers", [])) - 3
        table.add_row(
            str(r["step"]), r["source"],
            Text(" ".join(f"{k}={v}" for k, v in r["args"].items())[:60]),
            str(r.get("run_id") or ""), str(r.get("pages", "")), str(r.get("records", "")),
            Text(employers + (f" (+{more})" if more > 0 else "")),
            f"{len(r.get('signals_raised', []))}/{len(r.get('signals_touched', []))}"
            if "run_id" in r else (f"{len(r['signals_on_file'])} on file"
                                   if "signals_on_file" in r else ""),
            Text(r["verdict"]))
    console.print(table)
    for note in report["notes"]:
        console.print(Text(f"note: {note}"))


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
