"""`vigie investigate`: the plan for each kind of target, the refusals, and one investigation
run for real against the demo web (register, Gazette, company website, both boards' search)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from rich.console import Console
from sqlmodel import Session, select
from typer.testing import CliRunner

from demo.board2 import searchable_texts
from demo.kbo_export import write_kbo_opendata
from demo.pages.search import fold, query_matches
from demo.server import DemoServer
from demo.world import build_world
from spiders import SpiderError
from spiders.boards import SPIDERS
from spiders.jobs import JobsSpider
from storage.audit import verify_chain
from storage.db import make_engine
from storage.models import AuditEvent, CrawlRun, Employer, Match, Record
from tests import vigie_zygote as zygote
from tests.vigie_cli import run_vigie
from vigie import investigate_run
from vigie.cli import app
from vigie.investigate import MAX_FANOUT, InvestigationError, Target, board_queries, plan
from vigie.investigate_findings import verdict
from vigie.investigate_run import Investigation, Launch, State, run_investigation
from vigie.register import import_kbo
from vigie.settings import Settings

NUMBER = "0805483941"  # Logistique Quiévrain in world (7, 120): a website, ads on both boards
PURPOSE = "test: suspected bankruptcy carousel, inspection request 2026/118"
CASE = "DOS-2026-0118"


def _sources(steps) -> list[tuple[str, str | None, bool]]:  # type: ignore[no-untyped-def]
    return [(s.source, s.derive, bool(s.not_covered)) for s in steps]


# -- the plan ---------------------------------------------------------------------------------
def test_plan_for_an_enterprise_number() -> None:
    steps = plan(Target.of(number="BE 0805.483.941"))
    assert _sources(steps) == [
        ("registry", "numbers", False),
        ("gazette", "numbers", False),
        ("websites", "domains", False),
        ("board2", "employer_name", False),
        ("jobs", "employer_name", False),
        ("jobfeed", None, True),
        ("db", "numbers", False),
    ]
    assert steps[1].args == {"details": "1"}
    assert "no search" in (steps[5].not_covered or "")


def test_plan_for_a_name() -> None:
    steps = plan(Target.of(name="Logistique Quiévrain"))
    registry = steps[0]
    assert (registry.source, registry.args, registry.derive) == (
        "registry", {"name": "Logistique Quiévrain"}, None)
    boards = [s for s in steps if s.source in ("jobs", "board2")]
    assert [s.args for s in boards] == [{"query": "Logistique Quiévrain"}] * 2
    assert [s.source for s in steps if s.derive == "numbers"] == ["gazette", "db"]
    listings = next(s for s in steps if s.source == "listings")
    assert listings.not_covered and "JavaScript" in listings.not_covered


def test_plan_for_an_address_reports_but_does_not_follow() -> None:
    steps = plan(Target.of(address="Rue de la Gare 12, 7380 Quiévrain"))
    assert _sources(steps) == [("registry", None, False), ("db", None, False)]
    assert steps[0].args == {"address": "Rue de la Gare 12, 7380 Quiévrain"}
    assert "not followed" in steps[0].why


def test_plan_for_a_phone() -> None:
    steps = plan(Target.of(phone="+32 470 12 34 56"))
    assert [(s.source, s.args) for s in steps if not s.not_covered] == [
        ("board2", {"query": "0470 12 34 56"}),
        ("jobs", {"query": "0470 12 34 56"}),
        ("db", {"phone": "+32470123456"}),
    ]
    assert {s.source for s in steps if s.not_covered} == {"jobfeed", "listings"}


def test_plan_for_a_person_says_what_cannot_be_searched() -> None:
    steps = plan(Target.of(person="Jean Dupont"))
    assert steps[0].source == "db" and steps[0].args == {"person": "Jean Dupont"}
    refused = {s.source: s.not_covered for s in steps if s.not_covered}
    assert "no search by a natural person" in (refused["registry"] or "")
    assert "by enterprise" in (refused["gazette"] or "")
    followed = [(s.source, s.derive) for s in steps if s.derive and s.source != "db"]
    assert followed == [("registry", "numbers"), ("gazette", "numbers"),
                        ("websites", "domains")]
    assert not any(s.source in ("jobs", "board2") for s in steps)


def test_targets_are_checked() -> None:
    with pytest.raises(InvestigationError, match="nothing to investigate"):
        Target.of(name="  ")
    with pytest.raises(InvestigationError, match="enterprise number"):
        Target.of(number="0805.483.942")  # wrong check digits
    with pytest.raises(InvestigationError, match="phone"):
        Target.of(phone="12")
    with pytest.raises(InvestigationError, match="postcode or a municipality"):
        Target.of(address="12, ")
    assert Target.of(number="805483941", phone="0470/12.34.56").given() == {
        "number": "0805483941", "phone": "+32470123456"}


def test_fan_out_is_bounded() -> None:
    state = State()
    state.add([f"{n:010d}" for n in range(MAX_FANOUT + 3)] + ["0000000000"])
    assert len(state.numbers) == MAX_FANOUT and len(state.dropped) == 3


def test_board_search_argument_builds_the_search_url() -> None:
    spider = JobsSpider(query="Logistique Quiévrain", base_url="http://127.0.0.1:9")
    assert spider.start_url == "http://127.0.0.1:9/jobs/search?q=Logistique+Qui%C3%A9vrain"
    board2 = SPIDERS["board2"](query="0470 12 34 56", base_url="http://127.0.0.1:9")
    assert board2.start_url == "http://127.0.0.1:9/board2/offres?q=0470+12+34+56"
    with pytest.raises(SpiderError, match="no search URL"):
        type("NoSearch", (JobsSpider,), {"name": "jobfeed_like", "source_name": "jobfeed"})(
            query="x")


def test_purpose_is_mandatory(settings: Settings) -> None:
    with pytest.raises(InvestigationError, match="purpose"):
        Investigation(settings, Target.of(number=NUMBER), Launch("   "))


def test_cli_refuses_a_blank_purpose_and_fetches_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "VIGIE_DATA_DIR": str(tmp_path / "var")}
    env.pop("VIGIE_DATABASE_URL", None)
    done = run_vigie(["investigate", "--number", NUMBER, "--purpose", " "], env)
    assert done.returncode == 1
    assert "purpose" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "var" / "logs").exists()  # no crawl was started
    missing = CliRunner().invoke(app, ["investigate", "--number", NUMBER, "--dry-run"])
    assert missing.exit_code == 2 and "--purpose" in missing.output


# -- one investigation, for real --------------------------------------------------------------
# Five crawls, each its own `vigie crawl` process (~40 s on a quiet 2-core machine; the fixture's
# setup counts against the first test's timeout, so these tests get more than the default).
E2E = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def investigation(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("investigate")
    settings = Settings(data_dir=root / "var", secret_key="test-secret-key-0123456789abcdef",
                        download_delay=0, concurrent_per_domain=8, autothrottle=False,
                        database_url=databases.url(root / "var", migrate=False))
    settings.ensure_dirs()
    world = build_world(seed=7, size=120)
    write_kbo_opendata(world, root / "kbo")
    import_kbo(settings, root / "kbo")
    out = root / "report.json"
    # Each crawl in a process of its own, forked by the test process's zygote (the imports
    # done once: tests/vigie_zygote.py) instead of a new Python.
    with DemoServer(world) as server, mock.patch.object(investigate_run, "subprocess",
                                                        zygote.subprocess_module()):
        report = run_investigation(
            settings, Target.of(number=NUMBER),
            Launch(PURPOSE, CASE, "analyst.ana", server.url),
            Console(width=200, record=True), out=out)
        fetched = server.requests.by_target
    return {"report": report, "saved": json.loads(out.read_text(encoding="utf-8")),
            "settings": settings, "fetched": fetched}


@pytest.fixture(scope="module")
def session(investigation: dict[str, Any]):  # type: ignore[no-untyped-def]
    engine = make_engine(investigation["settings"].db_url)
    with Session(engine) as s:
        yield s
    engine.dispose()


@E2E
def test_report_lists_each_source_with_counts(investigation: dict[str, Any]) -> None:
    saved = investigation["saved"]
    assert saved["investigation"] == investigation["report"]["investigation"]
    assert saved["purpose"] == PURPOSE and saved["case_ref"] == CASE
    sources = saved["sources"]
    for source in ("registry", "gazette", "websites", "jobs", "board2"):
        assert sources[source]["pages"] > 0, source
        assert sources[source]["records"] > 0, source
        assert sources[source]["matched_employers"] == 1, source
    assert sources["gazette"]["records"] >= 2
    assert sources["jobfeed"]["verdicts"][0].startswith("not covered")
    steps = {s["source"]: s for s in saved["steps"]}
    assert steps["websites"]["args"]["domains"] == "/sites/logistiquequievrain/"
    assert steps["jobs"]["args"]["query"] == "logistique quievrain"
    assert saved["enterprises_followed"] == [NUMBER]
    for source in ("registry", "gazette", "websites", "jobs", "board2"):
        employer = steps[source]["matched_employers"][0]
        assert employer["enterprise_number"] == NUMBER
        assert steps[source]["verdict"].startswith("found")


@E2E
def test_the_board_searches_fetched_only_hits(investigation: dict[str, Any],
                                              session: Session) -> None:
    fetched = investigation["fetched"]
    assert fetched["/jobs/search?q=logistique+quievrain"] == 1
    assert fetched["/board2/offres?q=logistique+quievrain"] == 1
    assert not any(t.startswith(("/jobs/search?page", "/kbopub/list", "/board2/sitemap"))
                   for t in fetched)  # targeted: no full crawl of any source
    ads = session.exec(select(Record).where(Record.kind == "job_ad")).all()
    assert len(ads) >= 3
    employer = session.exec(select(Employer).where(Employer.enterprise_number == NUMBER)).one()
    for ad in ads:
        assert "quievrain" in fold(ad.employer_name or "")
        match = session.exec(select(Match).where(Match.record_id == ad.id)).first()
        assert match is not None and match.employer_id == employer.id


@E2E
def test_every_crawl_records_purpose_case_and_investigation(
        investigation: dict[str, Any], session: Session) -> None:
    inv = investigation["report"]["investigation"]
    runs = session.exec(select(CrawlRun)).all()
    assert sorted(r.spider for r in runs) == ["board2", "gazette", "jobs", "registry", "websites"]
    for run in runs:
        assert (run.purpose, run.case_ref, run.user) == (PURPOSE, CASE, "analyst.ana")
        assert run.launched_by == "analyst" and run.args["investigation"] == inv
    launches = session.exec(select(AuditEvent).where(AuditEvent.action == "crawl.launch")).all()
    assert len(launches) == 5
    for event in launches:
        assert event.details["purpose"] == PURPOSE and event.details["case_ref"] == CASE
        assert event.details["args"]["investigation"] == inv
        assert event.user == "analyst.ana"
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
               if e.target == f"investigation:{inv}"]
    assert actions == ["investigation.start", "investigation.finish"]
    assert verify_chain(session) == []


@E2E
def test_signals_raised_by_the_ads_are_reported(investigation: dict[str, Any]) -> None:
    steps = {s["source"]: s for s in investigation["saved"]["steps"]}
    raised = {sig["rule"] for source in ("jobs", "board2") for sig in steps[source]
              ["signals_raised"]}
    assert raised, "the ads of an enterprise in bankruptcy raise a signal"
    assert steps["db"]["signals_on_file"]
    assert steps["db"]["records"] >= steps["registry"]["records"] + steps["gazette"]["records"]


def test_blocked_or_unreachable_is_not_covered_never_nothing_found() -> None:
    run = {"run_id": 1, "records": 0, "matched_employers": []}
    blocked = verdict({**run, "pages": 3, "blocked": 3, "problem_kinds": {"http_403": 3}})
    assert blocked == "not covered: http_403 ×3"
    refused = verdict({**run, "pages": 0, "blocked": 0, "problem_kinds": {"robots": 1}})
    assert refused == "not covered: robots ×1"
    assert verdict({**run, "pages": 0, "blocked": 0}) == "not covered: no page answered"
    robots_only = verdict({**run, "pages": 1, "blocked": 0, "problem_kinds": {"robots": 4}})
    assert robots_only == "not covered: robots ×4"  # robots.txt read, every page refused
    partly = verdict({**run, "pages": 6, "blocked": 2, "records": 4,
                      "problem_kinds": {"http_429": 2}})
    assert partly.startswith("partly covered (http_429 ×2): found: 4 record(s)")
    assert verdict({**run, "pages": 2, "blocked": 0}).startswith("nothing found")
    assert verdict({**run, "pages": 2, "blocked": 0, "records": 1,
                    "not_in_register": ["0123456749"]}) == (
        "found: 1 record(s); NOT in the register: 0123456749")
    assert verdict({**run, "pages": 2, "blocked": 0}, crashed=True).startswith("not covered")
    assert verdict({"records": 0, "matched_employers": []}) == (
        "nothing on file in Vigie's database")


def test_board_queries_leave_out_the_legal_form_then_generic_words() -> None:
    assert [q for q, _ in board_queries("Nettoyage Éclair SRL")] == ["Nettoyage Éclair", "Éclair"]
    assert [q for q, _ in board_queries("SPRL Brasserie De Koninck en liquidation")] == [
        "Brasserie De Koninck", "Brasserie Koninck"]
    assert [q for q, _ in board_queries("Bouw Verlaine BVBA")] == ["Bouw Verlaine"]
    steps = plan(Target.of(name="Nettoyage Éclair SRL"))
    boards = [(s.source, s.args["query"]) for s in steps if s.source in ("jobs", "board2")]
    assert sorted(boards) == [("board2", "Nettoyage Éclair"), ("board2", "Éclair"),
                              ("jobs", "Nettoyage Éclair"), ("jobs", "Éclair")]


def test_board_queries_find_ads_the_full_name_misses() -> None:
    """Against the demo boards' literal search: every ad of a register employer that the full
    name finds is found again, and ads written without the form or with another are found too."""
    world = build_world(7, 600)
    found_full = found_queries = 0
    for i in range(world.n_ads):
        ad = world.ad(i)
        if not ad.employer_number:
            continue
        name = world.employer(ad.employer_number).name
        full = f"{name} {world.employer(ad.employer_number).legal_form}"
        texts = searchable_texts(ad)
        by_full = query_matches(full, texts)
        by_queries = any(query_matches(q, texts) for q, _ in board_queries(full))
        assert by_queries or not by_full, (full, ad.employer_name)
        found_full += by_full
        found_queries += by_queries
    assert found_queries > found_full * 1.5, (found_full, found_queries)
