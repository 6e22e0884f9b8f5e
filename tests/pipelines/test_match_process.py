"""The register matcher in a child process (:mod:`pipelines.match_process`): the same
candidates, scores, outcomes and reasons as the matcher in the crawl process, the same rows
written by a batched pipeline using it, a clear error when the child dies, and no child left
behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy.engine import Engine
from sqlmodel import Session

from entity_resolution.matcher import Matcher
from pipelines import PipelineError
from pipelines.items import PersistPipeline
from pipelines.match_process import MatchProcess
from pipelines.matcher_cache import MatcherLoader, register_fingerprint
from pipelines.register_sync import build_matcher, import_entries
from tests.pipelines.test_batched_persist import _batches, _prepare, _rows
from tests.pipelines.test_matcher_cache import QUERIES, REGISTER


def _reasons(candidates: list) -> list[tuple]:
    return [(c.key, c.score, c.outcome, c.method,
             [(f.name, f.score, f.weight, f.reason) for f in c.explanation])
            for c in candidates]


def test_the_child_builds_then_loads_the_matcher_and_answers_like_the_matcher(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        import_entries(session, REGISTER)
        reference = build_matcher(session)
    folder = tmp_path / "cache" / "matcher"
    loader = MatcherLoader(engine, folder, process="on")
    loader.start()
    served = loader.get()
    try:
        assert loader.source == "process" and isinstance(served, MatchProcess)
        assert served.source == "built" and served.size == 3
        assert served.VERSION == Matcher.VERSION
        assert [p.name for p in folder.iterdir()] == [f"{register_fingerprint(engine)}.pickle"]
        answers = served.match_many(QUERIES)
        assert [_reasons(a) for a in answers] == [_reasons(reference.match(q)) for q in QUERIES]
        assert answers[3][0].method == "enterprise_number" and answers[3][0].outcome == "match"
        assert all(c.entry is None for a in answers for c in a)  # keys only: no entries
    finally:
        loader.close()
    assert served._child.returncode == 0  # closing the pair ends the child's loop

    again = MatcherLoader(engine, folder, process="on")
    again.start()
    try:
        second = again.get()
        assert isinstance(second, MatchProcess) and second.source == "cache"
        assert _reasons(second.match(QUERIES[2])) == _reasons(reference.match(QUERIES[2]))
    finally:
        again.close()


def test_auto_keeps_a_small_register_in_the_crawl_process(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        import_entries(session, REGISTER)
    small = MatcherLoader(engine, tmp_path / "cache", background_min=1000, process="auto")
    small.start()
    assert small.source == "built" and isinstance(small.get(), Matcher)
    large = MatcherLoader(engine, tmp_path / "cache", background_min=2, process="auto")
    large.start()
    try:
        assert large.source == "process" and isinstance(large.get(), MatchProcess)
    finally:
        large.close()
    with pytest.raises(PipelineError, match="auto, on or off"):
        MatcherLoader(engine, tmp_path / "cache", process="yes")


def test_a_dead_matcher_process_is_a_clear_error(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        import_entries(session, REGISTER)
    loader = MatcherLoader(engine, tmp_path / "cache", process="on")
    loader.start()
    served = loader.get()
    assert isinstance(served, MatchProcess)
    os.kill(served.pid, signal.SIGKILL)
    served._child.wait()
    with pytest.raises(PipelineError, match=rf"matcher process {served.pid} ended"):
        served.match(QUERIES[0])
    loader.close()


def test_a_batched_pipeline_matching_in_a_child_writes_the_same_rows(
    engine: Engine, tmp_path: Path, databases
) -> None:
    from storage.db import make_engine

    other = make_engine(databases.url(tmp_path / "second", migrate=True))
    try:
        _prepare(engine, 9)
        _prepare(other, 9)
        aside = PersistPipeline(engine, get_crawler(), batch_size=100, in_thread=False,
                                matcher_cache=tmp_path / "cache", match_process="on")
        here = PersistPipeline(other, get_crawler(), batch_size=100, in_thread=False)
        aside.open_spider()
        here.open_spider()
        assert isinstance(aside.matcher, MatchProcess) and isinstance(here.matcher, Matcher)
        for batch in _batches():
            for pipeline in (aside, here):
                outcomes = pipeline._write_batch([dict(item) for item in batch])
                assert not [o for o in outcomes if isinstance(o, BaseException)]
        child = aside.matcher._child
        aside._close()
        here._close()
        assert child.returncode == 0  # the pipeline's close ends its matcher process
        got = _rows(engine)
        assert got == _rows(other)
        assert len(got["matches"]) >= 4 and {m[5] for m in got["matches"]} >= {"match"}
        assert all(m[6] for m in got["matches"])  # every match keeps its reasons
    finally:
        other.dispose()


def test_a_killed_crawl_leaves_no_matcher_process_behind(engine: Engine, tmp_path: Path) -> None:
    """The child ends when its end of the pair closes: SIGKILL the parent, the child goes."""
    import subprocess
    import sys
    import time

    with Session(engine) as session:
        import_entries(session, REGISTER)
    url = engine.url.render_as_string(hide_password=False)
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from pathlib import Path\n"
         "from pipelines.match_process import MatchProcess\n"
         "p = MatchProcess(sys.argv[1], Path(sys.argv[2]))\n"
         "p.wait_ready()\n"
         "print(p.pid, flush=True)\n"
         "time.sleep(600)\n",
         url, str(tmp_path / "cache")],
        stdout=subprocess.PIPE, text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert Path(f"/proc/{child}").exists()
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), f"matcher process {child} outlived its crawl"


def _alive(pid: int) -> bool:
    """Running (a process that ended but is not reaped yet, a zombie, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1][:1]
    except OSError:
        return False
    return state != "Z"



REFUSED = "REFUSE ME"


def _refusing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Matcher.match raises on one marked query (the real matcher takes any text)."""
    real = Matcher.match

    def match(self: Matcher, query):  # type: ignore[no-untyped-def]
        if query.name == REFUSED:
            raise ValueError("a query this matcher cannot read")
        return real(self, query)

    monkeypatch.setattr(Matcher, "match", match)


def test_a_refused_query_leaves_out_only_its_own_item(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the crawl process: the batch's other queries keep their candidates."""
    from entity_resolution.matcher import MatchQuery

    with Session(engine) as session:
        import_entries(session, REGISTER)
    _refusing(monkeypatch)
    here = PersistPipeline(engine, get_crawler(), batch_size=100, in_thread=False)
    here.open_spider()
    try:
        found = here._candidates_many([QUERIES[0], MatchQuery(name=REFUSED), QUERIES[3]])
        assert [_reasons(f) for f in found] == [_reasons(here._candidates(QUERIES[0])),
                                                _reasons(here._candidates(QUERIES[3]))]
        assert found[1][0].method == "enterprise_number"
    finally:
        here._close()


def test_the_child_answers_a_refused_query_apart_and_goes_on(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's loop (run here in a thread, on a real socket pair) answers each query of a
    batch on its own: a refused one comes back marked, the parent reads it as the ValueError
    the matcher raised, and the next batch is answered as usual."""
    import threading
    from multiprocessing import Pipe

    from entity_resolution.matcher import MatchQuery
    from pipelines.match_process import answers, serve

    with Session(engine) as session:
        import_entries(session, REGISTER)
        reference = build_matcher(session)
    _refusing(monkeypatch)
    monkeypatch.setattr("gc.freeze", lambda: None)  # the loop freezes its process's heap
    mine, theirs = Pipe(duplex=True)
    child = threading.Thread(target=serve, args=(theirs,), daemon=True)
    child.start()
    try:
        mine.send((engine.url.render_as_string(hide_password=False), str(tmp_path / "cache")))
        assert mine.recv()[0] == "ready"
        mine.send([QUERIES[1], MatchQuery(name=REFUSED)])
        reply = mine.recv()
        assert reply[0] == "ok" and reply[1][1][0] == "refused"
        assert "cannot read" in reply[1][1][1]
        with pytest.raises(ValueError, match="refused a query"):
            answers(reply)
        mine.send([QUERIES[1]])
        assert [_reasons(a) for a in answers(mine.recv())] == [
            _reasons(reference.match(QUERIES[1]))]
    finally:
        mine.close()
        child.join(timeout=10)
        theirs.close()
    assert not child.is_alive()  # the closed pair ended the loop
