"""Test helper: the real ``vigie`` CLI, with extra Scrapy settings for the write path.

    python tests/pipelines/crawl_with.py '{"VIGIE_WRITE_BATCH": 5}' crawl jobs --purpose …

The write path's knobs (batch size and wait, SQLite busy timeout, retry and outage limits)
are Scrapy settings read in ``from_crawler``; the crawl runner does not expose them yet, so
the fault tests wrap :func:`vigie.crawl.scrapy_settings` to set them to test-sized values.
Everything else is the command an operator runs.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main() -> None:
    overrides = json.loads(sys.argv[1])
    import vigie.crawl as crawl

    compose = crawl.scrapy_settings

    def with_overrides(*args: Any, **kwargs: Any) -> Any:
        settings = compose(*args, **kwargs)
        settings.update(overrides, priority="cmdline")
        return settings

    crawl.scrapy_settings = with_overrides  # type: ignore[assignment]
    from vigie.cli import main as cli

    sys.argv = ["vigie", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
