"""The item writer's process (``pipelines.writer_process``) runs ``PersistPipeline`` without
Scrapy or Twisted: they cost it about 35 MB and a third of a second to start, and it never
crawls. A fresh interpreter builds and opens the pipeline as the writer's ``serve`` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage.db import upgrade

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from pipelines.writer_process import serve  # what the child runs, and what serve imports:
from pipelines.items import PersistPipeline
from pipelines.normalize import normalize_item
from pipelines.outage import RetryPolicy, Spool
from storage.db import make_engine

url, spool = sys.argv[1], sys.argv[2]
pipeline = PersistPipeline(make_engine(url), None, batch_size=1, spool=Spool(spool),
                           retry=RetryPolicy(limit=1.0), in_thread=False, batched=False)
pipeline.open_spider()
pipeline._close()
assert pipeline.batcher is None
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("scrapy", "twisted"))
print("loaded:", ",".join(loaded) or "nothing")
"""


def test_the_writer_process_runs_without_scrapy_or_twisted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'vigie.db'}"
    upgrade(url)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(tmp_path / "spool.jsonl")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded: nothing"
