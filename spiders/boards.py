"""One spider per job board or feed described in YAML, so a new board needs no code.

At import, every ``spiders/<name>.yaml`` of ``kind: job_board`` (except ``jobs``, which has its
own class) becomes a subclass of :class:`spiders.jobs.JobsSpider`, and every ``kind: job_feed``
one a subclass of :class:`spiders.feeds.FeedSpider`, with ``name = source_name = <name>``.
Scrapy's spider loader finds them here like hand-written spiders: ``vigie crawl board2``.
Reading the package's own YAML files is the only thing done at import.
"""

from __future__ import annotations

from spiders.base import VigieSpider
from spiders.feeds import FeedSpider
from spiders.jobs import JobsSpider
from spiders.source import sources_of_kind

BASES: dict[str, type[VigieSpider]] = {"job_board": JobsSpider, "job_feed": FeedSpider}
HAND_WRITTEN = {JobsSpider.name}


def make_spider_class(name: str, kind: str) -> type[VigieSpider]:
    """A spider class for the source ``name`` of ``kind`` (``job_board`` | ``job_feed``)."""
    base = BASES[kind]
    title = "".join(part.capitalize() for part in name.replace("-", "_").split("_"))
    return type(
        f"{title}Spider",
        (base,),
        {"name": name, "source_name": name, "__module__": __name__},
    )


def _declare() -> dict[str, type[VigieSpider]]:
    made = {}
    for spec in sources_of_kind(*BASES):
        if spec.name not in HAND_WRITTEN:
            made[spec.name] = make_spider_class(spec.name, spec.kind)
    return made


SPIDERS = _declare()
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
