"""Reproducible benchmarks of Vigie: matching, crawl throughput, storage writes.

Run them all with ``python -m benchmarks [--quick]``. Each benchmark measures Vigie and a
plain baseline in the same run and reports the ratio, so figures from different machines can
be compared by their ratios rather than their absolute speeds.
"""

from vigie.errors import VigieError


class BenchmarkError(VigieError):
    """A benchmark could not be set up or its measured run failed."""
