"""The blocking index's fast paths give exactly what a straightforward version gives.

:class:`DictRank` is :meth:`NameBlocks.rank` written plainly — a dict of entry → weight,
filled posting by posting in the order keys are visited, the best picked by
``heapq.nlargest`` (ties: first found first). The numpy version must return the very same
lists, order included, on a few thousand generated queries against a register small enough
to build in seconds but with ``max_block`` low enough that every path runs: blocks merged in
full, blocks only added to entries already found, (postcode, word) blocks and pairs of
common words.
"""

from __future__ import annotations

import heapq
import math
import operator

import numpy as np
import pytest

from entity_resolution import blocking
from entity_resolution.blocking import MERGE_BUDGET, SMALL_BLOCK, NameBlocks, name_keys
from entity_resolution.names import NormalizedName, normalize_name
from tests.entity_resolution.generated import generated

_first = operator.itemgetter(0)
_second = operator.itemgetter(1)


class DictRank(NameBlocks):
    """``rank`` as a dict of entry → weight (the reference)."""

    paths: dict[str, int]

    def rank(self, name: NormalizedName, postcode: str | None, shortlist: int) -> list[int]:
        self.freeze()
        n = max(self.size, 1)
        totals: dict[int, float] = {}
        merged = 0
        common: dict[str, tuple[int, float, np.ndarray]] = {}
        too_common: list[tuple[float, np.ndarray]] = []
        for keys in (name_keys(name), self.typo_keys(name), self.far_keys(name)) + (
            self.acronym_keys(name),
        ):
            chosen = []
            for block_key, weight in keys:
                postings = self._postings(block_key)
                size = 0 if postings is None else len(postings)
                if size > self.max_block and postcode:
                    local = self._local_postings(block_key, postcode)
                    if local is not None and len(local):
                        chosen.append((len(local), "z", weight, local))
                if postings is not None and size:
                    chosen.append((size, block_key, weight, postings))
            chosen.sort(key=_first)
            for size, block_key, weight, postings in chosen:
                w = weight * math.log(1.0 + n / size)
                if size <= self.max_block and (
                    size <= SMALL_BLOCK or merged + size <= MERGE_BUDGET or not totals
                ):
                    merged += size
                    for i in postings.tolist():
                        totals[i] = totals.get(i, 0.0) + w
                    continue
                if size > self.max_block and block_key != "z":
                    common.setdefault(block_key, (size, w, postings))
                too_common.append((w, postings))
        if totals and too_common:
            self.paths["too_common"] += 1
            for w, postings in too_common:
                holding = set(postings.tolist())
                for i in list(totals):
                    if i in holding:
                        totals[i] += w
        if len(common) >= 2:
            (_sa, w_a, a), (_sb, w_b, b) = sorted(common.values(), key=_first)[:2]
            both = sorted(set(a.tolist()) & set(b.tolist()))
            if 0 < len(both) <= self.max_block:
                self.paths["common_pair"] += sum(i not in totals for i in both)
                for i in both:
                    if i not in totals:
                        totals[i] = w_a + w_b
        if len(totals) <= shortlist:
            return list(totals)
        self.paths["cut"] += 1
        return [i for i, _ in heapq.nlargest(shortlist, totals.items(), key=_second)]


@pytest.fixture(scope="module")
def register_and_names() -> (
    tuple[list[tuple[str, object]], list[tuple[NormalizedName, str | None]]]
):
    entries, queries = generated(register_seed=4, size=12_000, sample_seed=8, sources=2_000,
                                 queries=2_500, query_seed=3)
    names = [(normalize_name(q.name), q.postcode) for q in queries if q.name]
    return [(e.enterprise_number, e) for e in entries], names


def _blocks(cls: type[NameBlocks], entries: list[tuple[str, object]], max_block: int) -> NameBlocks:
    blocks = cls(max_block=max_block)
    postcodes = []
    for i, (_key, entry) in enumerate(entries):
        names = [normalize_name(text) for text in entry.all_names]  # type: ignore[attr-defined]
        blocks.add(i, [name for name in names if name.tokens])
        postcodes.append(entry.postcode)  # type: ignore[attr-defined]
    blocks.add_postcode_blocks(postcodes)
    return blocks


@pytest.mark.parametrize("max_block", [40, 2000])
def test_rank_gives_the_reference_lists(register_and_names, max_block) -> None:  # type: ignore[no-untyped-def]
    entries, names = register_and_names
    fast = _blocks(NameBlocks, entries, max_block)
    plain = _blocks(DictRank, entries, max_block)
    plain.paths = {"too_common": 0, "common_pair": 0, "cut": 0}  # type: ignore[attr-defined]
    for shortlist in (20, 5):
        for name, postcode in names:
            assert fast.rank(name, postcode, shortlist) == plain.rank(name, postcode, shortlist)
    if max_block == 40:  # every path of rank ran
        assert all(count > 20 for count in plain.paths.values()), plain.paths  # type: ignore[attr-defined]


@pytest.mark.parametrize("min_lookups", [0, blocking.BITSET_MIN_LOOKUPS])
def test_rank_with_part_of_the_common_words_in_bitsets(  # type: ignore[no-untyped-def]
    register_and_names, monkeypatch, min_lookups
) -> None:
    """Common words beyond the bitsets' budget (and whole names held by many entries) are
    looked up by binary search instead, as are a few entries (below ``BITSET_MIN_LOOKUPS``;
    0: every lookup of a word with a bitset reads it): both ways together still give the
    reference lists, and the bitsets hold exactly each word's entries."""
    entries, names = register_and_names
    row_bytes = (len(entries) + 7) // 8
    monkeypatch.setattr(blocking, "BITSET_BUDGET", 30 * row_bytes)
    monkeypatch.setattr(blocking, "BITSET_MIN_LOOKUPS", min_lookups)
    fast = _blocks(NameBlocks, entries, 40)
    plain = _blocks(DictRank, entries, 40)
    plain.paths = {"too_common": 0, "common_pair": 0, "cut": 0}  # type: ignore[attr-defined]
    counts = np.diff(fast._word_starts)
    assert len(fast._bit_rows) == 30 < int((counts > 40).sum())
    for w, row in fast._bit_rows.items():
        held = np.flatnonzero(np.unpackbits(fast._bits[row], bitorder="little"))
        start, end = fast._word_starts[w], fast._word_starts[w + 1]
        assert held.tolist() == fast._word_entries[start:end].tolist()
    for name, postcode in names:
        assert fast.rank(name, postcode, 20) == plain.rank(name, postcode, 20)
    assert all(count > 20 for count in plain.paths.values()), plain.paths  # type: ignore[attr-defined]
