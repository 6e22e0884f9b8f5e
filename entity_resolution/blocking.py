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
  words one typo away (``"peters"`` → ``"peeters"``), which then count as keys of weight 0.5;
- a query word that shortens a common word ("nett." for "nettoyage", "constr" for
  "construction", as the comparator reads it) counts as that word, weight 0.5, and the
  initials of three words or more as a register word they spell ("IBM"), weight 0.5;
- a fallback for words two typos away, used only for a distinctive query word that is
  neither in the register's vocabulary nor one typo from a word of it ("Dakubxwski" for
  "Jakubowski", "Ober]r\x86nner" for "Oberbrunner"): every vocabulary word of 6–20 letters
  is cut into three pieces, each indexed with its place (the *segment index*, three keys per
  word); a word two edits away keeps one of the three pieces intact, shifted by at most two
  letters (the pigeonhole principle), so looking up the query word's substrings at those
  places (about 30 lookups) finds every such word, which is then checked with a Levenshtein
  distance ≤ 2. The words found (at most 10, nearest first) count as keys of weight 0.35.

:meth:`NameBlocks.rank` scores entries by the keys they share with the query, each weighted by
its rarity ``log(1 + N / entries with the key)``, visiting the query's own words first and
the rarest first. The first ``MERGE_BUDGET`` postings are merged in full; after that a key
only adds to the entries found by the other keys, its own word's or typo neighbours' (a
C-level set intersection, once all keys are visited), so a very common word never drags in
thousands of entries that share nothing else with the query. In a register of a
million, where many words (surnames, sector words) exceed ``max_block``, the two rarest such
words of the query are also intersected: entries holding both are a block of their own
("Bouw Peters" still finds "Bouw Peeters" without a postcode).
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Sequence
from functools import lru_cache
from hashlib import blake2b
from itertools import repeat

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from entity_resolution.compare import GENERIC_WEIGHT, GENERIC_WORDS, token_weight
from entity_resolution.compare.words import common_word_shortenings
from entity_resolution.index import digest
from entity_resolution.names import NormalizedName

SMALL_BLOCK = 64  # blocks up to this size are always merged in full
MERGE_BUDGET = 500  # postings merged in full per query; beyond, keys only add to found ones
TYPO_WEIGHT = 0.5  # a register word one typo away from a word of the query
MAX_TYPO_NEIGHBOURS = 20
TYPO_CACHE = 50_000  # query words whose typo neighbours are remembered
FAR_TYPOS = 2  # the segment index finds register words up to this many edits away …
FAR_WEIGHT = 0.35  # … which count as keys of this weight
FAR_MIN, FAR_MAX = 6, 20  # lengths of the words in the segment index
MAX_FAR_NEIGHBOURS = 10
PAIR_CACHE = 8_192  # pairs of common words whose shared entries are remembered
BITSET_BUDGET = 64 << 20  # bytes of membership bitsets of common words (largest words first)
BITSET_MIN_LOOKUPS = 1024  # fewer entries to test against a common word: binary search
_first = operator.itemgetter(0)
_add = operator.add
_NO_ENTRIES = np.zeros(0, dtype=np.int32)


def _size(item: tuple[str, tuple[int, float, np.ndarray, np.ndarray | None]]) -> int:
    return item[1][0]


def _holding(entries: np.ndarray, postings: np.ndarray, bits: np.ndarray | None) -> np.ndarray:
    """Which of ``entries`` (entry numbers) are in ``postings`` (a sorted posting list), as
    a boolean mask: read from the posting list's bitset (bit ``i % 8`` of byte ``i // 8``)
    when it has one and there are ``BITSET_MIN_LOOKUPS`` entries or more, else by binary
    search (for a few entries, cheaper than the bitset's fixed cost)."""
    if bits is not None and len(entries) >= BITSET_MIN_LOOKUPS:
        return ((bits[entries >> 3] >> (entries & 7).astype(np.uint8)) & 1).view(bool)
    at = postings.searchsorted(entries)
    at[at == len(postings)] = len(postings) - 1
    return postings[at] == entries  # type: ignore[no-any-return]


def _add_weight(totals: dict[int, float], entries: list[int], w: float) -> None:
    """``totals[i] = totals.get(i, 0.0) + w`` for each entry, in order: the loop run in C
    (the same additions in the same order, so the very same sums)."""
    found = map(totals.get, entries, repeat(0.0))
    totals.update(zip(entries, map(_add, found, repeat(w)), strict=True))


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


def shortened(token: str) -> tuple[str, ...]:
    """The common words ``token`` is a shortening of ("nett" → "nettoyage"): at least three
    letters, two fewer than the word, not itself a common word (the comparator's rule)."""
    if len(token) < 3 or token in GENERIC_WORDS or not token.isalpha():
        return ()
    return common_word_shortenings().get(token, ())


def acronyms(tokens: tuple[str, ...]) -> list[str]:
    """Words of 3 to 6 letters spelt by the initials of consecutive words of a name of three
    words or more ("international business machines" → "ibm"), as the comparator reads an
    acronym."""
    if len(tokens) < 3:
        return []
    initials = "".join(t[0] for t in tokens)
    return [
        initials[a:b]
        for a in range(len(initials) - 2)
        for b in range(a + 3, min(len(initials), a + 6) + 1)
        if initials[a:b].isalpha()
    ]


@lru_cache(maxsize=64)
def segments(length: int) -> tuple[tuple[int, int], ...]:
    """How a word of ``length`` letters is cut for the segment index: ``FAR_TYPOS + 1``
    pieces (start, size), the longer ones last ("jakubowski" → "jak", "ubo", "wski")."""
    parts = FAR_TYPOS + 1
    short, longer = divmod(length, parts)
    out: list[tuple[int, int]] = []
    start = 0
    for k in range(parts):
        size = short + (1 if k >= parts - longer else 0)
        out.append((start, size))
        start += size
    return tuple(out)


def segment_key(length: int, k: int, piece: str) -> int:
    """Piece ``k`` of a word of ``length`` letters as one 63-bit number: the length (5 bits),
    the piece's number (2 bits) and its first 7 bytes (UTF-8). Cheaper than a digest, and
    two pieces that share a key only cost a Levenshtein check (every word found is checked)."""
    return (length << 58) | (k << 56) | int.from_bytes(piece.encode()[:7], "big")


def segment_keys(word: str) -> list[int]:
    """The segment-index keys of a register word (none outside 6–20 letters or for an
    article)."""
    n = len(word)
    if not FAR_MIN <= n <= FAR_MAX or token_weight(word) < GENERIC_WEIGHT:
        return []
    return [segment_key(n, k, word[a : a + size]) for k, (a, size) in enumerate(segments(n))]


def probe_keys(token: str) -> np.ndarray:
    """Segment-index keys to look up for a query word, for every register word length within
    ``FAR_TYPOS`` of the word's. A register word at most ``FAR_TYPOS`` edits away has one
    piece intact, shifted by ``x`` letters in the query word: the edits before the piece make
    up ``|x|`` and those after it ``|Δ − x|`` (``Δ`` the difference in length), so
    ``|x| + |Δ − x| ≤ FAR_TYPOS`` bounds the places to try (PassJoin's position-aware
    selection)."""
    n = len(token)
    wanted: set[int] = set()
    for length in range(max(FAR_MIN, n - FAR_TYPOS), min(FAR_MAX, n + FAR_TYPOS) + 1):
        delta = n - length
        low, high = -((FAR_TYPOS - delta) // 2), (FAR_TYPOS + delta) // 2
        for k, (a, size) in enumerate(segments(length)):
            for at in range(max(0, a + low), min(n - size, a + high) + 1):
                wanted.add(segment_key(length, k, token[at : at + size]))
    return np.fromiter(wanted, dtype=np.int64, count=len(wanted))


@lru_cache(maxsize=100_000)
def deletion_digests(token: str) -> np.ndarray:
    """Digests of :func:`deletions` (how the typo neighbourhood is stored): each variant's
    :func:`~entity_resolution.index.digest`, its eight bytes read as one little-endian signed
    number as ``digest`` reads them, all in one buffer."""
    raw = b"".join([blake2b(v.encode(), digest_size=8).digest() for v in deletions(token)])
    return np.frombuffer(raw, dtype="<i8").astype(np.int64)


class NameBlocks:
    """Name keys → entry numbers (0, 1, 2 … in the order entries were added).

    Storage is sized for millions of entries and for sharing with forked workers: while
    entries are added, (key, entry) pairs go into flat arrays; the first :meth:`rank` (or
    :meth:`freeze`) sorts them into numpy postings — word keys by word number, whole-name and
    (postcode, word) keys by 64-bit digest — and the typo neighbourhood into digests of the
    deletions → word numbers. Only the vocabulary (one string per distinct word) stays a
    Python object."""

    def __init__(self, max_block: int = 2000) -> None:
        self.max_block = max_block
        self.size = 0
        self._vocab: dict[str, int] = {}
        self._words: list[str] = []
        self._pending_words = array("i")  # word number, entry number
        self._pending_word_entries = array("i")
        self._pending_compact = array("q")  # digest of the name without spaces, entry number
        self._pending_compact_entries = array("i")
        self._word_starts = np.zeros(1, dtype=np.int64)
        self._word_entries = np.zeros(0, dtype=np.int32)
        self._compact = _Postings.empty()
        self._local = _Postings.empty()  # word number × 10⁴ + postcode
        self._deletions = _Postings.empty()  # digest of a deletion → word numbers
        self._segments = _Postings.empty()  # digest of a word piece and its place → words
        self._neighbours = _Postings.empty()  # word number → its typo neighbours' numbers
        self._postcodes: np.ndarray | None = None
        # words too common to block on alone: word number → row of a bitset of their entries
        self._bit_rows: dict[int, int] = {}
        self._bits = np.zeros((0, 0), dtype=np.uint8)
        self._frozen = True
        self._typo_cache: dict[str, tuple[str, ...]] = {}
        self._far_cache: dict[str, tuple[str, ...]] = {}
        self._pair_cache: dict[tuple[str, str], np.ndarray] = {}

    def __setstate__(self, state: dict[str, object]) -> None:
        """Unpickling: an index pickled before the neighbour lists (or the bitsets of
        common words) existed gets them."""
        self.__dict__.update(state)
        if "_neighbours" not in state:
            self._build_neighbours()
        if "_bits" not in state:
            self._build_bits(np.diff(self._word_starts))

    def add(self, i: int, names: list[NormalizedName]) -> None:
        """Index entry ``i`` (entries must be added in increasing order)."""
        self.size = max(self.size, i + 1)
        seen: set[str] = set()
        for normalized in names:
            for block_key, _weight in name_keys(normalized):
                if block_key in seen:
                    continue
                seen.add(block_key)
                if block_key[0] == "c":
                    self._pending_compact.append(digest(block_key))
                    self._pending_compact_entries.append(i)
                else:
                    self._pending_words.append(self._word_id(block_key[2:]))
                    self._pending_word_entries.append(i)
        self._frozen = False

    def _word_id(self, word: str) -> int:
        found = self._vocab.get(word)
        if found is None:
            found = self._vocab[word] = len(self._words)
            self._words.append(word)
        return found

    def add_postcode_blocks(self, postcodes: Sequence[str | None]) -> None:
        """(postcode, word) keys for words too common to block on alone ("cleaning" in 1000);
        call once after the last :meth:`add`, with each entry's postcode."""
        codes = np.full(self.size, -1, dtype=np.int16)
        for i in range(self.size):
            postcode = postcodes[i]
            if postcode and postcode.isdigit() and len(postcode) <= 4:
                codes[i] = int(postcode)
        self._postcodes = codes
        self._frozen = False
        self.freeze()

    def freeze(self) -> None:
        """Sort what was added into the postings (done once, before the first query)."""
        if self._frozen:
            return
        n_words = len(self._words)
        words = np.frombuffer(self._pending_words, dtype=np.int32)
        entries = np.frombuffer(self._pending_word_entries, dtype=np.int32)
        if len(self._word_entries):  # entries added after an earlier freeze
            old = np.repeat(np.arange(len(self._word_starts) - 1), np.diff(self._word_starts))
            words = np.concatenate([old.astype(np.int32), words])
            entries = np.concatenate([self._word_entries, entries])
        order = np.argsort(words, kind="stable")
        self._word_entries = entries[order]
        counts = np.bincount(words, minlength=n_words)
        self._word_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._compact = self._compact.merged(
            np.frombuffer(self._pending_compact, dtype=np.int64),
            np.frombuffer(self._pending_compact_entries, dtype=np.int32),
        )
        self._pending_words, self._pending_word_entries = array("i"), array("i")
        self._pending_compact, self._pending_compact_entries = array("q"), array("i")
        self._build_deletions()
        self._build_neighbours()
        self._build_segments()
        self._build_local(counts)
        self._build_bits(counts)
        self._typo_cache.clear()
        self._far_cache.clear()
        self._pair_cache.clear()
        self._frozen = True

    def _build_deletions(self) -> None:
        keys = array("q")
        values = array("i")
        for w, word in enumerate(self._words):
            for variant in deletions(word):
                keys.append(digest(variant))
                values.append(w)
        self._deletions = _Postings.empty().merged(
            np.frombuffer(keys, dtype=np.int64), np.frombuffer(values, dtype=np.int32)
        )

    def _build_neighbours(self) -> None:
        """The typo neighbours of every register word, as :meth:`_typo_neighbours` finds them
        for a word of the query: the other words of each run of the deletion postings that
        holds the word (a word is in the runs of its own deletions), nearest in alphabetical
        order first, at most ``MAX_TYPO_NEIGHBOURS``. A query word that is a register word
        (most query words the caches have not seen) then costs one lookup instead of
        hashing and looking up each of its deletions. Runs of one word (most of them) pair
        nothing; the pairs of longer runs are found offset by offset."""
        table = self._deletions
        runs = np.diff(table.starts)
        run_of = np.repeat(np.arange(len(runs)), runs)
        at = np.flatnonzero(np.repeat(runs > 1, runs))  # places in runs of two words or more
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        offset = 1
        while len(at):
            at = at[at + offset < len(table.values)]
            at = at[run_of[at + offset] == run_of[at]]
            left.append(table.values[at])
            right.append(table.values[at + offset])
            offset += 1
        if not left:
            self._neighbours = _Postings.empty()
            return
        a = np.concatenate(left + right).astype(np.int64)
        b = np.concatenate(right + left).astype(np.int64)
        rank = np.empty(len(self._words), dtype=np.int64)
        rank[sorted(range(len(self._words)), key=self._words.__getitem__)] = np.arange(
            len(self._words)
        )
        pairs = np.unique(a * len(self._words) + rank[b])  # by word, then alphabetically
        a, b_rank = np.divmod(pairs, len(self._words))
        first = np.searchsorted(a, a)  # where each word's neighbours start
        keep = np.arange(len(a)) - first < MAX_TYPO_NEIGHBOURS
        by_rank = np.argsort(rank)
        self._neighbours = _Postings.empty().merged(a[keep], by_rank[b_rank[keep]].astype(np.int32))

    def _build_segments(self) -> None:
        keys = array("q")
        values = array("i")
        for w, word in enumerate(self._words):
            for key in segment_keys(word):
                keys.append(key)
                values.append(w)
        self._segments = _Postings.empty().merged(
            np.frombuffer(keys, dtype=np.int64), np.frombuffer(values, dtype=np.int32)
        )

    def _build_local(self, counts: np.ndarray) -> None:
        if self._postcodes is None:
            self._local = _Postings.empty()
            return
        common = np.flatnonzero(counts > self.max_block)
        keys: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for w in common:
            entries = self._word_entries[self._word_starts[w] : self._word_starts[w + 1]]
            codes = self._postcodes[entries].astype(np.int64)
            placed = codes >= 0
            keys.append(int(w) * 10_000 + codes[placed])
            values.append(entries[placed])
        if keys:
            self._local = _Postings.empty().merged(np.concatenate(keys), np.concatenate(values))
        else:
            self._local = _Postings.empty()

    def _build_bits(self, counts: np.ndarray) -> None:
        """A bitset of the entries of each word held by more than ``max_block`` entries,
        the largest words first while they fit in ``BITSET_BUDGET``: :meth:`rank` asks
        whether found entries hold such a word (and intersects two of them), which a
        binary search in its long posting list answered with a cache miss per step —
        the part of the blocking's work that grows most with the register."""
        row_bytes = (self.size + 7) // 8
        common = np.flatnonzero(counts > self.max_block)
        common = common[np.argsort(-counts[common], kind="stable")]
        if row_bytes:
            common = common[: BITSET_BUDGET // row_bytes]
        bits = np.zeros((len(common), row_bytes), dtype=np.uint8)
        member = np.zeros(row_bytes * 8, dtype=bool)
        for row, w in enumerate(common.tolist()):
            entries = self._word_entries[self._word_starts[w] : self._word_starts[w + 1]]
            member[entries] = True
            bits[row] = np.packbits(member, bitorder="little")
            member[entries] = False
        self._bits = bits
        self._bit_rows = {w: row for row, w in enumerate(common.tolist())}

    def _bitset(self, block_key: str) -> np.ndarray | None:
        """The bitset of a word key's entries (see :meth:`_build_bits`), if it has one."""
        if block_key[0] != "t":
            return None
        row = self._bit_rows.get(self._vocab.get(block_key[2:], -1))
        return None if row is None else self._bits[row]

    def _postings(self, block_key: str) -> np.ndarray | None:
        if block_key[0] == "c":
            return self._compact.get(digest(block_key))
        w = self._vocab.get(block_key[2:])
        if w is None:
            return None
        return self._word_entries[self._word_starts[w] : self._word_starts[w + 1]]

    def _local_postings(self, block_key: str, postcode: str) -> np.ndarray | None:
        w = self._vocab.get(block_key[2:])
        if w is None or not (postcode.isdigit() and len(postcode) <= 4):
            return None
        return self._local.get(w * 10_000 + int(postcode))

    def rank(self, name: NormalizedName, postcode: str | None, shortlist: int) -> list[int]:
        """The ``shortlist`` entries sharing the most (rarity-weighted) keys with ``name``."""
        self.freeze()
        n = max(self.size, 1)
        totals: dict[int, float] = {}
        merged = 0
        # blocks too big to merge: (size, weight, postings, bitset or None)
        common: dict[str, tuple[int, float, np.ndarray, np.ndarray | None]] = {}
        too_common: list[tuple[float, np.ndarray, np.ndarray | None]] = []  # too big here
        typos, far, initials = self.typo_keys(name), self.far_keys(name), self.acronym_keys(name)
        for keys in (name_keys(name), typos, far, initials):
            chosen: list[tuple[int, str, float, np.ndarray]] = []
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
                    if totals:
                        _add_weight(totals, postings.tolist(), w)
                    else:  # the first: 0.0 + w each (a posting holds an entry once)
                        totals = dict.fromkeys(postings.tolist(), 0.0 + w)
                    continue
                bits = None
                if size > self.max_block and block_key != "z":
                    bits = self._bitset(block_key)
                    common.setdefault(block_key, (size, w, postings, bits))
                too_common.append((w, postings, bits))
        # Too common to bring in new entries: they only add to the entries found, by any
        # pass ("Garage" to the "Garage Van Mahuysman" found through a typo of "Mauhysman").
        if totals and too_common:
            found = np.fromiter(totals, dtype=np.int32, count=len(totals))
            for w, postings, bits in too_common:
                _add_weight(totals, found[_holding(found, postings, bits)].tolist(), w)
        if len(common) >= 2:
            self._add_common_pair(totals, common)
        if len(totals) <= shortlist:
            return list(totals)
        # a stable sort, highest first: ties keep the order entries were found in (as
        # heapq.nlargest and sorted(…, reverse=True) keep it), here on the totals at once
        values = np.fromiter(totals.values(), dtype=np.float64, count=len(totals))
        entries = list(totals)
        return [entries[k] for k in np.argsort(-values, kind="stable")[:shortlist].tolist()]

    def _add_common_pair(
        self,
        totals: dict[int, float],
        common: dict[str, tuple[int, float, np.ndarray, np.ndarray | None]],
    ) -> None:
        """Entries holding both of the two rarest words too common to block on alone
        ("bouw" and "peeters" in a register of a million): together they are a block.

        Only registers where several words exceed ``max_block`` get here. The entries found
        get both words' weights (those already found have them from the pass above). The
        intersection of two large postings is remembered: the same pairs come back often."""
        (key_a, (_size_a, w_a, a, _bits_a)), (key_b, (_size_b, w_b, b, bits_b)) = sorted(
            common.items(), key=_size
        )[:2]
        pair = (key_a, key_b)
        both = self._pair_cache.get(pair)
        if both is None:
            both = a[_holding(a, b, bits_b)]
            if not 0 < len(both) <= self.max_block:
                both = _NO_ENTRIES
            if len(self._pair_cache) >= PAIR_CACHE:
                self._pair_cache.clear()
            self._pair_cache[pair] = both
        if not len(both):
            return
        w = w_a + w_b
        for i in both.tolist():
            if i not in totals:
                totals[i] = w

    def typo_keys(self, name: NormalizedName) -> list[tuple[str, float]]:
        """Word keys of register words one typo away from a word of the name (at most 20 per
        word, in alphabetical order so that results do not depend on insertion order), and of
        the common words a word of the name shortens."""
        self.freeze()
        keys: dict[str, float] = {}
        for token in name.tokens:
            for word in self._typo_neighbours(token):
                keys["t:" + word] = TYPO_WEIGHT
            if token not in self._vocab:
                for word in shortened(token):
                    if word in self._vocab:
                        keys.setdefault("t:" + word, GENERIC_WEIGHT)
        return list(keys.items())

    def acronym_keys(self, name: NormalizedName) -> list[tuple[str, float]]:
        """Word keys of register words spelt by the initials of the name's words ("IBM").
        :meth:`rank` visits them last, so that they never keep the entries of a typo
        neighbour out (initials spell short words that many names share)."""
        self.freeze()
        return [
            ("t:" + w, TYPO_WEIGHT)
            for w in dict.fromkeys(acronyms(name.tokens))
            if w in self._vocab
        ]

    def far_keys(self, name: NormalizedName) -> list[tuple[str, float]]:
        """Word keys of register words two typos away from a distinctive word of the name
        that is neither a register word nor one typo from one (the fallback: most words
        are found without it)."""
        self.freeze()
        keys: dict[str, float] = {}
        for token in name.tokens:
            if (
                FAR_MIN - FAR_TYPOS <= len(token) <= FAR_MAX + FAR_TYPOS
                and token not in self._vocab
                and token_weight(token) == 1.0
                and not self._typo_neighbours(token)
            ):
                for word in self._far_neighbours(token):
                    keys.setdefault("t:" + word, FAR_WEIGHT)
        return list(keys.items())

    def _far_neighbours(self, token: str) -> tuple[str, ...]:
        """Register words at most ``FAR_TYPOS`` edits from ``token`` (Levenshtein), nearest
        first then alphabetically, at most ``MAX_FAR_NEIGHBOURS`` (remembered)."""
        cached = self._far_cache.get(token)
        if cached is not None:
            return cached
        table = self._segments
        found: list[tuple[int, str]] = []
        if len(table.keys):
            wanted = probe_keys(token)
            at = table.keys.searchsorted(wanted)
            at[at == len(table.keys)] = 0
            hits = at[table.keys[at] == wanted]
            if len(hits):
                starts, values = table.starts, table.values
                ids = np.unique(np.concatenate([values[starts[k] : starts[k + 1]] for k in hits]))
                words = self._words
                close = process.extract(
                    token,
                    [words[w] for w in ids.tolist()],
                    scorer=Levenshtein.distance,
                    score_cutoff=FAR_TYPOS,
                    limit=None,
                )
                found = sorted((int(d), word) for word, d, _ in close if word != token)
        neighbours = tuple(word for _, word in found[:MAX_FAR_NEIGHBOURS])
        if len(self._far_cache) >= TYPO_CACHE:
            self._far_cache.clear()
        self._far_cache[token] = neighbours
        return neighbours

    def _typo_neighbours(self, token: str) -> tuple[str, ...]:
        """Register words one typo away from ``token`` (remembered: query words repeat)."""
        cached = self._typo_cache.get(token)
        if cached is not None:
            return cached
        w = self._vocab.get(token)
        if w is not None:  # a register word: its neighbours were found with the index
            neighbours = self._neighbours.get(w)
            if neighbours is None:
                return ()
            return tuple(map(self._words.__getitem__, neighbours.tolist()))
        table = self._deletions
        wanted = deletion_digests(token)
        found: set[str] = set()
        keys = table.keys
        if len(wanted) and len(keys):
            at = keys.searchsorted(wanted)
            at[at == len(keys)] = 0
            hits = at[keys[at] == wanted]
            ids: list[int] = []
            values, starts = table.values, table.starts
            for a, b in zip(starts[hits].tolist(), starts[hits + 1].tolist()):  # noqa: B905
                ids += values[a:b].tolist()
            found = set(map(self._words.__getitem__, ids))
            found.discard(token)
        neighbours = tuple(sorted(found)[:MAX_TYPO_NEIGHBOURS])
        if len(self._typo_cache) >= TYPO_CACHE:
            self._typo_cache.clear()
        self._typo_cache[token] = neighbours
        return neighbours

    def nbytes(self) -> int:
        """Bytes held in arrays (the vocabulary strings not counted)."""
        return int(
            self._word_starts.nbytes
            + self._word_entries.nbytes
            + self._compact.nbytes()
            + self._local.nbytes()
            + self._deletions.nbytes()
            + self._segments.nbytes()
            + self._neighbours.nbytes()
            + self._bits.nbytes
        )


class _Postings:
    """Sorted 64-bit keys → runs of entry numbers (each run in increasing order)."""

    __slots__ = ("keys", "starts", "values")

    def __init__(self, keys: np.ndarray, starts: np.ndarray, values: np.ndarray) -> None:
        self.keys = keys
        self.starts = starts
        self.values = values

    @classmethod
    def empty(cls) -> _Postings:
        return cls(
            np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32)
        )

    def merged(self, keys: np.ndarray, values: np.ndarray) -> _Postings:
        """These postings plus ``(key, value)`` pairs (values of one key kept in order)."""
        if len(self.values):
            keys = np.concatenate([np.repeat(self.keys, np.diff(self.starts)), keys])
            values = np.concatenate([self.values, values])
        if not len(keys):
            return _Postings.empty()
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        unique, starts = np.unique(keys, return_index=True)
        return _Postings(unique, np.append(starts, len(keys)).astype(np.int64), values)

    def get(self, key: int) -> np.ndarray | None:
        k = int(self.keys.searchsorted(key))
        if k >= len(self.keys) or self.keys[k] != key:
            return None
        return self.values[self.starts[k] : self.starts[k + 1]]

    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.starts.nbytes + self.values.nbytes)
