"""Fixtures of the demo room: the default world and its server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.server import DemoServer
from demo.world import World, build_world

REALWORLD = Path(__file__).parent.parent / "fixtures" / "realworld"


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(7, 300)


@pytest.fixture(scope="session")
def server(world: World) -> Iterator[DemoServer]:
    with DemoServer(world) as srv:
        yield srv
