"""The demo's aggregator feed ``/feeds/jobs.xml``, in the Recruityard (Indeed-style) format.

An aggregator republishes about 25 % of the main board's ads and about 25 % of EmploisPlus's
own ads (not its reposts), each drawn from (seed, size, id) alone: ``<source><publisher/>
<publisherurl/><job><title/><date/><referencenumber/><url/><company/><location/><city/>
<postalcode/><streetaddress/><country/><salary/><jobtype/><description/></job>…``, every value
in CDATA as in the real feed (tests/fixtures/realworld/jobs/feed.xml). ``referencenumber`` is
the original board's id and ``url`` the original ad page, so each feed job can be tied back to
its page (ground truth: :func:`feed_entries`). Salaries are ``"min - max"`` figures when the
ad has them, else the ad's own text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from demo.board2 import Board2
from demo.model import DemoAd
from demo.numbers import rng_for

FEED_PATH = "/feeds/jobs.xml"
FEED_SHARE = 0.25
PUBLISHER = "JobFeed.be"


@dataclass(frozen=True)
class FeedEntry:
    """One feed job: the ad, its reference and the path of the page it republishes."""

    ad: DemoAd
    reference: str
    path: str
    board: str  # "jobs" | "board2"


def feed_entries(board2: Board2) -> list[FeedEntry]:
    """The feed's jobs in feed order: main-board ads first, then EmploisPlus's own ads."""
    w = board2.world
    out = []
    for i in range(w.n_ads):
        if rng_for(w.seed, w.size, "jobfeed", "jobs", i).random() < FEED_SHARE:
            ad = w.ad(i)
            out.append(FeedEntry(ad, ad.identifier, ad.path, "jobs"))
    for board_id in range(1, board2.n_ads + 1):
        kind, _ = board2.plan[board_id - 1]
        if kind == "own" and rng_for(w.seed, w.size, "jobfeed", "board2", board_id).random() \
                < FEED_SHARE:
            own = board2.ad(board_id)
            out.append(FeedEntry(own.ad, own.ref, own.path, "board2"))
    return out


def cdata(value: object) -> str:
    """A CDATA section holding any text (a "]]>" inside is split across two sections)."""
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _salary(ad: DemoAd) -> str:
    def figure(x: float) -> str:
        return f"{x:g}"

    if ad.salary_min is not None and ad.salary_max is not None:
        return f"{figure(ad.salary_min)} - {figure(ad.salary_max)}"
    if ad.salary_value is not None and not ad.below_minimum_wage:
        return figure(ad.salary_value)
    return ad.salary_text


@lru_cache(maxsize=4)
def feed_xml(board2: Board2, origin: str) -> bytes:
    """The whole feed document (UTF-8); the last few are kept (a 100,000-ad world's feed
    takes seconds to write and never changes)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<source>\n',
             f"    <publisher>{PUBLISHER}</publisher>\n",
             f"    <publisherurl>{cdata(origin + '/')}</publisherurl>\n"]
    for entry in feed_entries(board2):
        ad = entry.ad
        tags = (
            ("title", ad.title),
            ("date", f"{ad.date_posted.isoformat()}T00:00:00.000Z"),
            ("referencenumber", entry.reference),
            ("url", origin + entry.path),
            ("company", ad.employer_name),
            ("location", f"{ad.postcode} {ad.locality}"),
            ("city", ad.locality),
            ("postalcode", ad.postcode),
            ("streetaddress", ad.street),
            ("country", ad.country),
            ("salary", _salary(ad)),
            ("jobtype", ad.employment_type),
            ("description", f"<p>{escape(ad.description)}</p>"),
        )
        parts.append("    <job>\n" + "".join(f"      <{t}>{cdata(v)}</{t}>\n" for t, v in tags)
                     + "    </job>\n")
    parts.append("</source>\n")
    return "".join(parts).encode("utf-8")
