"""A crawl process settles its heap before the reactor runs (:mod:`vigie.heap`): start-up's
objects are frozen out of the collector's walks, young collections are spaced out, and
garbage cycles made afterwards are still collected. Run in a child interpreter, so that this
test process keeps its own collector settings."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json, weakref
from vigie import heap

class Node:
    pass

before = gc.get_freeze_count()
heap.settle()
frozen = gc.get_freeze_count()
thresholds = gc.get_threshold()
a, b = Node(), Node()
a.other, b.other = b, a          # a cycle made after start-up
gone = weakref.ref(a)
del a, b
collected_soon = gone() is not None
for _ in range(3):
    gc.collect(0)
    gc.collect()
print(json.dumps({"before": before, "frozen": frozen, "thresholds": thresholds,
                  "alive_before_collect": collected_soon, "alive_after": gone() is not None}))
"""


def test_start_up_is_frozen_and_later_cycles_still_go() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, timeout=60)
    seen = json.loads(out.stdout)
    assert seen["before"] == 0
    assert seen["frozen"] > 1000  # the interpreter's and Vigie's start-up objects
    from vigie import heap

    assert seen["thresholds"] == [heap.YOUNG, heap.OLDER, heap.OLDER]
    assert seen["alive_before_collect"] is True  # a cycle waits for the collector...
    assert seen["alive_after"] is False  # ...which still frees it
