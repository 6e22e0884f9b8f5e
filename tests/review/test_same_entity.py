"""The signal page shows "Same entity elsewhere": the other records clustered with the record
behind the signal, with their source, URL, first/last seen and the link's reason — all
escaped (scraped text is untrusted)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from pipelines.clustering import rebuild_clusters
from storage.models import Capture, ClusterMember, EntityCluster, Record
from tests.review.conftest import XSS_IMG, XSS_SCRIPT, World

HOSTILE_URL = 'https://other-board.test/ad/5?q="><script>alert(1)</script>'


def same_entity_section(html: str) -> str:
    found = re.search(r'<section class="card same-entity" id="same-entity">(.*?)</section>',
                      html, re.S)
    assert found, "no 'Same entity elsewhere' section"
    return found.group(1)


def add_repost(engine: Engine, world: World) -> int:
    """The world's job ad (record #world.record_id) seen again on another board: same
    employer number, same title, same postcode — and hostile strings in what was scraped."""
    with Session(engine) as s:
        original = s.get(Record, world.record_id)
        assert original is not None
        cap = Capture(url=HOSTILE_URL, final_url=HOSTILE_URL, status=200, sha256="1" * 64,
                      warc_file="other.warc.gz", warc_offset=0, warc_length=0)
        s.add(cap)
        s.flush()
        repost = Record(
            kind="job_ad", source="other_board", url=HOSTILE_URL, capture_id=cap.id,
            fingerprint="fp-other-5", title=original.title,
            employer_name=f"NETTOYAGE RAPIDE {XSS_IMG}", enterprise_number="0123456749",
            postcode="1000", raw={"title": original.title},
            first_seen=datetime(2024, 5, 20, 7, 0, tzinfo=UTC),
            last_seen=datetime(2024, 6, 3, 7, 0, tzinfo=UTC),
        )
        s.add(repost)
        s.commit()
        assert repost.id is not None
        return repost.id


def test_signal_page_lists_the_same_ad_on_another_board(
    user_client: TestClient, engine: Engine, world: World
) -> None:
    SQLModel.metadata.create_all(
        engine, tables=[EntityCluster.__table__, ClusterMember.__table__]  # type: ignore[list-item]
    )
    repost_id = add_repost(engine, world)
    report = rebuild_clusters(engine)
    assert report.clusters["job_ad"] == 1

    section = same_entity_section(user_client.get(f"/signals/{world.signal_id}").text)
    assert f"Record #{world.record_id}: the same ad" in section
    row = re.search(r'<tr class="same-entity-row">(.*?)</tr>', section, re.S)
    assert row is not None
    cells = row.group(1)
    assert f"#{repost_id}" in cells and "<code>other_board</code>" in cells
    assert "2024-05-20 07:00" in cells and "2024-06-03 07:00" in cells
    assert ("same employer (enterprise number 0123.456.749), same title "
            "“Nettoyeur &lt;script&gt;alert(1)&lt;/script&gt;” and same place (postcode 1000)"
            in cells)
    assert "&lt;img src=x onerror=alert(1)&gt;" in cells
    assert "q=&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in cells
    # Nothing scraped reaches the page unescaped.
    assert XSS_SCRIPT not in section and XSS_IMG not in section

    # The JSON twin carries the same links.
    [group] = user_client.get(f"/api/signals/{world.signal_id}/same-entity").json()
    assert (group["record_id"], group["kind"], group["member_count"]) == (world.record_id,
                                                                          "job_ad", 2)
    [other] = group["others"]
    assert (other["record"]["id"], other["record"]["url"], other["direct"]) == (
        repost_id, HOSTILE_URL, True)
    assert other["reason"].startswith("same employer (enterprise number 0123.456.749)")
    assert user_client.get("/api/signals/999999/same-entity").status_code == 404


def test_signal_page_without_clusters_says_so(user_client: TestClient, world: World) -> None:
    """Also on a database whose schema predates the cluster tables (the page must not fail)."""
    section = same_entity_section(user_client.get(f"/signals/{world.signal_id}").text)
    assert "No other record is clustered with this signal" in section
