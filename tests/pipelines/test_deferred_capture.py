"""Deferred captures: a spider reads its response before the Capture row is written, and
its items wait for that row in the item pipeline (``pipelines.capture``, ``ValidatePipeline``).

The crawl-level behaviour (every stored record points at a committed capture; a capture that
fails takes its items with it and stops the crawl) is covered by the crawl and fault tests,
which all run with deferred captures now; these pin the pieces.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from pipelines.batching import WriteBatcher
from pipelines.capture import CaptureMiddleware, PendingCapture
from pipelines.items import ValidatePipeline
from spiders.jobs import JobsSpider
from spiders.websites import WebsitesSpider
from storage.evidence import EvidenceStore


def _item(pending: PendingCapture) -> dict[str, Any]:
    return {"kind": "job_ad", "source": "jobs", "url": "http://127.0.0.1:9/ad/1",
            "capture_id": pending, "fields": {"title": "Schoonmaker"}}


def test_waiters_fire_with_the_id_before_and_after_the_row_is_written() -> None:
    pending = PendingCapture({"sha256": "ab" * 32})
    early = pending.wait()
    seen: list[Any] = []
    early.addCallback(seen.append)
    assert seen == []  # nothing until the batch is committed
    pending.id = 41
    pending.settle(None)
    late = pending.wait()
    late.addCallback(seen.append)
    assert seen == [41, 41]


def test_a_failed_capture_fails_every_waiter() -> None:
    pending = PendingCapture({"sha256": "cd" * 32})
    errors: list[BaseException] = []
    pending.wait().addErrback(lambda f: errors.append(f.value))
    pending.settle(IgnoreRequest("evidence not written: disk full"))
    pending.wait().addErrback(lambda f: errors.append(f.value))
    assert [str(e) for e in errors] == ["evidence not written: disk full"] * 2


def _crawler() -> Any:
    crawler = SimpleNamespace(stats=None, spider=None, engine=None, settings=Settings())
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


def test_validate_waits_for_the_capture_then_checks_the_item() -> None:
    crawler = _crawler()
    stage = ValidatePipeline(crawler)
    pending = PendingCapture({"sha256": "ef" * 32})
    item = _item(pending)

    async def run() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(stage.process_item(item))
        await asyncio.sleep(0.01)
        assert not task.done()  # still waiting for the row
        pending.id = 7
        loop.call_soon(pending.settle, None)
        return await task

    out = asyncio.run(run())
    assert out is item and item["capture_id"] == 7
    assert crawler.stats.get_value("vigie/fill/title") == 1


def test_an_item_whose_capture_failed_is_dropped_not_stored() -> None:
    crawler = _crawler()
    stage = ValidatePipeline(crawler)
    pending = PendingCapture({"sha256": "01" * 32})
    pending.settle(IgnoreRequest("capture not recorded: database is locked"))
    with pytest.raises(DropItem, match="database is locked"):
        asyncio.run(stage.process_item(_item(pending)))
    assert crawler.stats.get_value("vigie/dropped/no_capture") == 1
    assert crawler.stats.get_value("vigie/fill_items") is None  # never validated


def test_which_spiders_defer_and_the_limit_on_waiting_captures(settings, engine) -> None:
    assert JobsSpider.deferred_capture is True
    assert WebsitesSpider.deferred_capture is False  # its item lists its pages' capture ids
    crawler = _crawler()
    store = EvidenceStore(settings.evidence_dir, name="t")
    mw = CaptureMiddleware(store, engine, run_id=None, crawler=crawler, batch_size=4)
    assert mw.batcher is not None and mw.deferred_limit == 256
    crawler.spider = SimpleNamespace(deferred_capture=True)
    assert mw._defers()
    assert mw._full(10**6) is False  # no download waits for a deferred batch
    mw.batcher.pending = [(PendingCapture({}), None)] * 256  # type: ignore[list-item]
    assert not mw._defers()  # a stalled database slows the downloads again
    other = CaptureMiddleware(store, engine, run_id=None, crawler=_crawler(), batch_size=4)
    other.crawler.spider = SimpleNamespace(deferred_capture=False)  # type: ignore[union-attr]
    assert not other._defers()
    single = CaptureMiddleware(store, engine, run_id=None, crawler=crawler)  # batch of one
    assert not single._defers()
    assert isinstance(mw.batcher, WriteBatcher)


def test_downloads_wait_while_the_item_writer_is_three_batches_behind(engine) -> None:
    """``PersistPipeline.room``: past three batches of items waiting for their write, the
    capture middleware holds each new response until the writer catches up, so a writer
    that falls behind pauses the downloads instead of letting parsed pages pile up."""
    from twisted.internet import defer

    from pipelines.items import PersistPipeline

    pipeline = PersistPipeline(engine, batch_size=2)
    assert pipeline.batcher is not None and pipeline.backlog_limit == 6
    writes: list[defer.Deferred[Any]] = []

    def add(item: dict[str, Any]) -> defer.Deferred[Any]:
        writes.append(defer.Deferred())
        return writes[-1]

    pipeline.batcher.add = add  # type: ignore[method-assign]  # the writer: never done by itself
    woken: list[int] = []

    async def run() -> None:
        tasks = [asyncio.ensure_future(pipeline._wait_batched({"n": n})) for n in range(5)]
        await asyncio.sleep(0)
        assert pipeline.backlog == 5 and pipeline.room() is None  # room for one more
        tasks.append(asyncio.ensure_future(pipeline._wait_batched({"n": 5})))
        await asyncio.sleep(0)
        waiting = pipeline.room()
        assert waiting is not None  # six wait: the next download must wait
        waiting.addCallback(lambda _: woken.append(pipeline.backlog))
        writes[0].callback(None)  # one item written
        await asyncio.sleep(0)
        assert woken == [5]  # the download goes on
        for write in writes[1:]:
            write.callback(None)
        await asyncio.gather(*tasks)
        assert pipeline.backlog == 0 and pipeline.room() is None

    asyncio.run(run())
    crawler = _crawler()
    crawler.engine = SimpleNamespace(
        scraper=SimpleNamespace(itemproc=SimpleNamespace(middlewares=[object(), pipeline])))
    mw = CaptureMiddleware(EvidenceStore(Path("/nonexistent")), engine, run_id=None,
                           crawler=crawler, batch_size=4)
    assert mw._writer_room() is None and mw._writer is pipeline  # found among the stages
    pipeline.backlog = 6
    assert mw._writer_room() is not None
