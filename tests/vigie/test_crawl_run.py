"""The crawl runner's records: robots overrides carry their reason, resume finds its run."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import CrawlRun
from vigie.crawl import Launch, find_resume, prepare_resume, start_run


def test_ignoring_robots_is_recorded_with_its_reason(settings, engine) -> None:
    no_robots = settings.model_copy(update={"robots_obey": False})
    run_id = start_run(no_robots, Launch("jobs", "check a board"))
    obeying = start_run(settings, Launch("jobs", "check a board"))
    with Session(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert run.report["robots_override"] == {
            "obey": False,
            "reason": "robots.txt ignored by the installation setting VIGIE_ROBOTS_OBEY=false",
        }
        assert "robots_override" not in (session.get(CrawlRun, obeying).report or {})


def test_resume_continues_only_an_interrupted_run(settings, engine) -> None:
    with Session(engine) as session:
        done = CrawlRun(spider="jobs", status="finished", report={"close_reason": "finished"})
        session.add(done)
        session.commit()
        assert find_resume(session, "jobs", done.id + 1) is None
        killed = CrawlRun(spider="jobs")  # status "running" forever: the process was killed
        session.add(killed)
        session.commit()
        killed_id, started = killed.id, killed.started_at
    new_id = start_run(settings, Launch("jobs", "resume after a kill"))
    resume = prepare_resume(settings, "jobs", new_id)
    assert resume is not None and resume.runs == (killed_id,)
    assert resume.started_at.replace(tzinfo=None) == started.replace(tzinfo=None)
    with Session(engine) as session:
        old = session.get(CrawlRun, killed_id)
        assert old.status == "failed" and f"continued by run {new_id}" in old.report["notes"][0]
        assert session.get(CrawlRun, new_id).report["resumed_from"] == [killed_id]
        # A run stopped early (Ctrl-C: close reason "shutdown") can be resumed too, and the
        # chain grows: the next resume replays both earlier runs.
        stopped = session.get(CrawlRun, new_id)
        stopped.status = "failed"
        stopped.report = {**stopped.report, "close_reason": "shutdown"}
        session.add(stopped)
        session.commit()
    third = start_run(settings, Launch("jobs", "resume again"))
    again = prepare_resume(settings, "jobs", third)
    assert again is not None and again.runs == (killed_id, new_id)
    assert again.started_at == resume.started_at


def test_write_and_capture_batches_reach_the_crawl(settings) -> None:
    """The batch knobs are settings (``VIGIE_*`` in the environment), handed to Scrapy."""
    from vigie.crawl import scrapy_settings

    tuned = settings.model_copy(update={"write_batch": 7, "capture_batch": 3,
                                        "capture_batch_ms": 0})
    s = scrapy_settings(tuned, "jobs", 1, progress=False)
    assert s.getint("VIGIE_WRITE_BATCH") == 7
    assert s.getint("VIGIE_CAPTURE_BATCH") == 3 and s.getint("VIGIE_CAPTURE_BATCH_MS") == 0
    defaults = scrapy_settings(settings, "jobs", 1, progress=False)
    assert defaults.getint("VIGIE_CAPTURE_BATCH") == 64


def test_the_retry_back_off_is_the_source_s_unless_overridden(settings) -> None:
    from spiders.source import load_source
    from vigie.crawl import scrapy_settings

    yaml_base = load_source("jobs").politeness.retry_backoff_base
    assert scrapy_settings(settings, "jobs", 1, progress=False).getfloat(
        "VIGIE_RETRY_BACKOFF_BASE") == yaml_base
    quick = settings.model_copy(update={"retry_backoff_base": 0.05})
    assert yaml_base != 0.05
    assert scrapy_settings(quick, "jobs", 1, progress=False).getfloat(
        "VIGIE_RETRY_BACKOFF_BASE") == 0.05


def test_a_crawl_loads_its_own_spider_module_and_no_unused_extension(settings) -> None:
    """Start-up of a crawl process: Scrapy searches only the spider's own module (not every
    spider, Playwright's included), and the remote control and telnet extensions (off in
    Vigie) are not even imported; a YAML-only source is found in the module that declares
    them (``spiders.boards``), and a name no module declares is searched for everywhere."""
    from scrapy.spiderloader import SpiderLoader

    from vigie.crawl import scrapy_settings

    jobs = scrapy_settings(settings, "jobs", 1, progress=False)
    assert jobs.getlist("SPIDER_MODULES") == ["spiders.jobs"]
    assert SpiderLoader.from_settings(jobs).list() == ["jobs"]
    base = jobs.getdict("EXTENSIONS_BASE")
    assert "scrapy.extensions.remote_control.RemoteControl" not in base
    assert "scrapy.extensions.telnet.TelnetConsole" not in base
    assert "scrapy.extensions.closespider.CloseSpider" in base  # the rest kept
    listings = scrapy_settings(settings, "listings", 1, progress=False)
    assert listings.getlist("SPIDER_MODULES") == ["spiders.listings"]
    for yaml_only in ("board2", "jobfeed"):
        s = scrapy_settings(settings, yaml_only, 1, progress=False)
        assert s.getlist("SPIDER_MODULES") == ["spiders.boards"]
        assert SpiderLoader.from_settings(s).load(yaml_only).name == yaml_only
    from vigie.crawl import spider_modules

    assert spider_modules("no_such_spider", ["spiders"]) == ["spiders"]
