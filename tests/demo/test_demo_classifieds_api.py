"""The classifieds JSON API over real HTTP: phone numbers only on request."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from demo.server import DemoServer
from demo.world import World


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_detail_hides_the_phone_and_the_phone_route_gives_it(server: DemoServer,
                                                              world: World) -> None:
    with_phone = next(world.listing(i) for i in range(world.n_listings) if world.listing(i).phone)
    without = next(world.listing(i) for i in range(world.n_listings)
                   if world.listing(i).phone is None)
    status, detail = get(f"{server.url}/classifieds/api/listings/{with_phone.id}")
    assert status == 200 and "phone" not in detail and detail["has_phone"] is True
    assert detail["provider"] == with_phone.provider_name
    status, answer = get(f"{server.url}/classifieds/api/listings/{with_phone.id}/phone")
    assert (status, answer) == (200, {"id": with_phone.id, "phone": with_phone.phone})

    status, detail = get(f"{server.url}/classifieds/api/listings/{without.id}")
    assert status == 200 and detail["has_phone"] is False
    assert get(f"{server.url}/classifieds/api/listings/{without.id}/phone")[0] == 404
    assert get(f"{server.url}/classifieds/api/listings/{world.n_listings}/phone")[0] == 404


def test_phone_answers_are_deterministic(world: World) -> None:
    from demo.server import DemoSite
    from demo.world import build_world

    again = DemoSite(build_world(7, 300))
    site = DemoSite(world)
    for ident in range(0, world.n_listings, 7):
        path = f"/classifieds/api/listings/{ident}/phone"
        assert site.handle(path, {}).body == again.handle(path, {}).body
