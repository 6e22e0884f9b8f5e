"""Garbage collection for a crawl process.

A crawl makes and drops objects by the million (responses, selectors, items, rows, asyncio
tasks: Scrapy starts ``CONCURRENT_ITEMS`` tasks for the output of every response). With
CPython's default thresholds the cycle collector then runs thousands of times per crawl, and
each run of the older generations walks every object the process holds — Scrapy, SQLAlchemy,
the spiders, a register matcher built in the process. On the 2,000-page benchmark against a
100,000-employer register that was about 5 s of a 35 s crawl's CPU, in a process bound by
its interpreter lock.

:func:`settle` is called once start-up is done, before the reactor runs: what start-up made
is moved out of the collector's sight (``gc.freeze``: still freed by reference counting, no
longer walked), and the youngest generation is collected every :data:`YOUNG` net allocations
instead of 700. Garbage cycles still go, a little later.
"""

from __future__ import annotations

import gc

YOUNG = 20_000  # net container allocations between two collections of the young generation
OLDER = 20  # collections of a generation between two of the next one (default 10)


def settle() -> None:
    """Freeze what exists now and space out collections (see the module docstring)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
