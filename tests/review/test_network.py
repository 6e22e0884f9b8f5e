"""The network view's JSON API and page, on the review world plus a stored carousel whose
scraped names carry XSS payloads."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from signals.engine import detect_network
from signals.rules import carousel
from tests.review.conftest import XSS_FLAG, XSS_SCRIPT
from tests.storage.carousel_world import PHONE, Carousel, build_carousel

GAMMA = f"{XSS_FLAG}Bouw Gamma BV"
BOSS = f"Jan {XSS_SCRIPT}Peeters"


@pytest.fixture
def ring(engine: Engine, world) -> Carousel:  # noqa: ANN001
    with Session(engine, expire_on_commit=False) as s:
        c = build_carousel(s, gamma_name=GAMMA, boss_name=BOSS)
        detect_network(s, rules=[carousel])
        s.commit()
    return c


def test_api_returns_the_graph_with_flags_counts_and_sources(user_client, ring) -> None:  # noqa: ANN001
    r = user_client.get(f"/api/network?employer={ring.gamma}&depth=2")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert data["center"] == f"employer:{ring.gamma}" and data["truncated"] is False
    nodes = {n["id"]: n for n in data["nodes"]}
    gamma = nodes[f"employer:{ring.gamma}"]
    assert gamma["label"] == GAMMA  # JSON carries the text as scraped; the page escapes it
    assert gamma["attrs"]["signal_count"] == 1 and gamma["attrs"]["active"] is True
    alpha = nodes[f"employer:{ring.alpha}"]
    assert alpha["attrs"]["bankrupt"] is True and alpha["attrs"]["struck_off"] is True
    assert alpha["attrs"]["juridical_situation_date"] == "2022-03-01"
    assert nodes[f"person:{ring.boss}"]["label"] == BOSS
    assert nodes[f"phone:{PHONE}"]["kind"] == "phone"
    edges = {(e["source"], e["target"], e["kind"]): e for e in data["edges"]}
    beta_role = edges[(f"person:{ring.boss}", f"employer:{ring.beta}", "director_of")]
    assert beta_role["start"] == "2021-06-01" and beta_role["end"] is None
    assert beta_role["origin"]["type"] == "gazette"
    assert beta_role["origin"]["record_id"] == ring.gazette
    ad = edges[(f"employer:{ring.gamma}", f"phone:{PHONE}", "uses_phone")]
    assert ad["origin"] == {"type": "ad", "record_id": ring.ad, "capture_id": ring.ad_capture}


def test_api_truncation_and_errors(user_client, ring) -> None:  # noqa: ANN001
    small = user_client.get(f"/api/network?person={ring.boss}&max_nodes=3").json()
    assert small["truncated"] is True and len(small["nodes"]) == 3
    assert "cap of 3 nodes" in small["notes"][0]
    for url, status in (("/api/network", 400), (f"/api/network?employer={ring.gamma}&person=1",
                                                  400), ("/api/network?employer=999999", 404),
                        (f"/api/network?employer={ring.gamma}&depth=4", 422)):
        r = user_client.get(url)
        assert r.status_code == status, url
        assert set(r.json()["error"]) == {"type", "message"}


def test_page_escapes_labels_and_loads_the_script(user_client, ring) -> None:  # noqa: ANN001
    r = user_client.get(f"/network?employer={ring.gamma}")
    assert r.status_code == 200
    html = r.text
    assert "&lt;img src=x onerror=" in html and XSS_FLAG not in html
    assert "&lt;script&gt;" in html and XSS_SCRIPT not in html
    assert f'data-graph-url="/api/network?employer={ring.gamma}&amp;depth=2&amp;max_nodes=150"' \
        in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/static/network.js">']  # no inline script
    assert "Bouw Alpha BV" in html and "bankrupt" in html
    assert f'href="/network?person={ring.boss}"' in html
    assert user_client.get("/static/network.js").status_code == 200
    employer_page = user_client.get(f"/employers/{ring.gamma}").text
    assert f'href="/network?employer={ring.gamma}"' in employer_page


def test_signal_page_links_to_the_network(user_client, world) -> None:  # noqa: ANN001
    page = user_client.get(f"/signals/{world.signal_id}").text
    assert f'href="/network?employer={world.employer_id}" class="network-link"' in page
