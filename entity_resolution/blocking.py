"""The blocking index of the matcher: which register entries are worth comparing to a name.

Comparing a query with every entry of a 100,000-entry register is far too slow, so entries
are indexed by keys of their names:

- ``c:<name without spaces>`` — the whole name ("vanderhaegenbouw"), weight 2;
- ``t:<word>`` — every word that is not an article, weighted as in
  :func:`entity_resolution.compare.token_weight` (generic words count half);
- ``z:<postcode>:<word>`` — for words shared by more than ``max_block`` entries ("bouw",
  "cleaning"), the word at one postcode, so that it still narrows things down there;
- a one-letter-deletion index of the register's *vocabulary* (every word of 4–15 letters with
  one letter deleted → the register words that produce it): two words one typo apart — a
  letter changed, added or dropped — share a deletion, so a query word finds the register
  words one typo away (``"peters"`` → ``"peeters"``), which then count as keys of weight 0.5.

:meth:`NameBlocks.rank` scores entries by the keys they share with the query, each weighted by
its rarity ``log(1 + N / entries with the key)``, visiting the query's own words first and
the rarest first. The first ``MERGE_BUDGET`` postings are merged in full; after that a key
only adds to entries already found (a C-level set intersection), so a very common word never
drags in thousands of entries that share nothing else with the query.
"""

from __future__ import annotations

import heapq
import math
import operator
from functools import lru_cache

from entity_resolution.compare import GENERIC_WEIGHT, token_weight
from entity_resolution.names import NormalizedName

SMALL_BLOCK = 64  # blocks up to this size are always merged in full
MERGE_BUDGET = 500  # postings merged in full per query; beyond, keys only add to found ones
TYPO_WEIGHT = 0.5  # a register word one typo away from a word of the query
MAX_TYPO_NEIGHBOURS = 20
_second = operator.itemgetter(1)


def name_keys(name: NormalizedName) -> list[tuple[str, float]]:
    """Blocking keys of a name with their weights (before the rarity factor): the name
    without spaces (``c:``) and each word (``t:``)."""
    keys: list[tuple[str, float]] = []
    if name.compact:
        keys.append(("c:" + name.compact, 2.0))
    for token in name.tokens:
        w = token_weight(token)
        if w >= 0.1:
            keys.append(("t:" + token, w))
    return keys


@lru_cache(maxsize=300_000)
def deletions(token: str) -> tuple[str, ...]:
    """The word and the word with one letter deleted (its "deletion neighbourhood"): two words
    one typo apart — a letter changed, added or dropped — always share one of these.
    Only words of 4 to 15 letters that are not articles have one."""
    if token_weight(token) < GENERIC_WEIGHT or not 4 <= len(token) <= 15:
        return ()
    variants = {token[:k] + token[k + 1 :] for k in range(len(token))}
    variants.add(token)
    return tuple(sorted(variants))


class NameBlocks:
    """Name keys → entry numbers (0, 1, 2 … in the order entries were added)."""

    def __init__(self, max_block: int = 2000) -> None:
        self.max_block = max_block
        self.size = 0
        self._blocks: dict[str, list[int]] = {}
        self._sets: dict[str, frozenset[int]] = {}  # large blocks as sets, made lazily
        self._neighbours: dict[str, list[str]] = {}  # one-letter deletion → register words

    def add(self, i: int, names: list[NormalizedName]) -> None:
        """Index entry ``i`` (entries must be added in increasing order)."""
        self.size = max(self.size, i + 1)
        blocks = self._blocks
        for normalized in names:
            for block_key, _weight in name_keys(normalized):
                postings = blocks.get(block_key)
                if postings is None:
                    blocks[block_key] = [i]
                    if block_key[0] == "t":  # a new word: index its typo neighbourhood
                        word = block_key[2:]
                        for variant in deletions(word):
                            self._neighbours.setdefault(variant, []).append(word)
                elif postings[-1] != i:
                    postings.append(i)

    def add_postcode_blocks(self, postcodes: list[str | None]) -> None:
        """(postcode, word) keys for words too common to block on alone ("cleaning" in 1000);
        call once after the last :meth:`add`, with each entry's postcode."""
        common = [k for k, v in self._blocks.items() if k[0] == "t" and len(v) > self.max_block]
        for block_key in common:
            token = block_key[2:]
            for i in self._blocks[block_key]:
                postcode = postcodes[i]
                if postcode:
                    postings = self._blocks.setdefault(f"z:{postcode}:{token}", [])
                    if not postings or postings[-1] != i:
                        postings.append(i)

    def rank(self, name: NormalizedName, postcode: str | None, shortlist: int) -> list[int]:
        """The ``shortlist`` entries sharing the most (rarity-weighted) keys with ``name``."""
        n = max(self.size, 1)
        totals: dict[int, float] = {}
        get = totals.get
        merged = 0
        for keys in (name_keys(name), self.typo_keys(name)):
            chosen: list[tuple[int, str, float, list[int]]] = []
            for block_key, weight in keys:
                postings = self._blocks.get(block_key)
                if postings and len(postings) > self.max_block and postcode:
                    local_key = f"z:{postcode}:{block_key[2:]}"
                    local = self._blocks.get(local_key)
                    if local:  # the word at the query's postcode: a small block of its own
                        chosen.append((len(local), local_key, weight, local))
                if postings:
                    chosen.append((len(postings), block_key, weight, postings))
            chosen.sort(key=lambda c: c[0])
            for size, block_key, weight, postings in chosen:
                w = weight * math.log(1.0 + n / size)
                if size <= self.max_block and (
                    size <= SMALL_BLOCK or merged + size <= MERGE_BUDGET or not totals
                ):
                    merged += size
                    for i in postings:
                        totals[i] = get(i, 0.0) + w
                elif totals:  # too common to bring in new entries: only adds to those found
                    # set.intersection(dict) walks the dict: cost ∝ entries found so far
                    for i in self._set(block_key, postings).intersection(totals):
                        totals[i] += w
        if len(totals) <= shortlist:
            return list(totals)
        return [i for i, _ in heapq.nlargest(shortlist, totals.items(), key=_second)]

    def typo_keys(self, name: NormalizedName) -> list[tuple[str, float]]:
        """Word keys of register words one typo away from a word of the name (at most 20 per
        word, in alphabetical order so that results do not depend on insertion order)."""
        keys: dict[str, float] = {}
        for token in name.tokens:
            found: set[str] = set()
            for variant in deletions(token):
                found.update(self._neighbours.get(variant, ()))
            found.discard(token)
            for word in sorted(found)[:MAX_TYPO_NEIGHBOURS]:
                keys["t:" + word] = TYPO_WEIGHT
        return list(keys.items())

    def _set(self, block_key: str, postings: list[int]) -> frozenset[int]:
        found = self._sets.get(block_key)
        if found is None:
            found = self._sets[block_key] = frozenset(postings)
        return found
