"""Near-duplicate texts without comparing every pair: word shingles, content-defined sampling
and a capped inverted index.

A text is cut into overlapping runs of ``SHINGLE_WORDS`` folded words ("shingles"), each hashed
to an integer that is the same in every process (CRC-32 of each word, then the hash of the
tuple of those integers, which Python does not salt), so that the output does not depend on
Python's per-process string hashing.

Finding candidates: a shingle is *sampled* when its hash is divisible by ``SAMPLE_MOD``. The
choice depends only on the shingle itself, so two copies of one text sample the same shingles,
and a shortened copy samples a subset of them. Texts sharing sampled shingles become candidate
pairs; a sampled shingle found in more than ``max_posting`` texts (boilerplate: "apply on our
website") is too common to say anything and is left out. Only candidate pairs are verified,
on their full shingle sets.

Similarity: the *containment* of the shorter text in the longer one, ``|A ∩ B| / min(|A|, |B|)``
— a board that truncates a description or adds its own footer still scores high, and the
number reads plainly: "94 % of the shorter text's 3-word sequences also appear in the other".
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

SHINGLE_WORDS = 3
SAMPLE_MOD = 4
MAX_POSTING = 100
_MASK = (1 << 48) - 1
_TAGS = re.compile(r"<[^>]{0,300}>")
_WORDS = re.compile(r"[a-z0-9]+")


_WORD_HASHES: dict[str, int] = {}


def _word_hashes(tokens: Sequence[str]) -> list[int]:
    cache = _WORD_HASHES
    if len(cache) > 1_000_000:  # a long-lived process: keep the memo bounded
        cache.clear()
    for t in set(tokens).difference(cache):
        cache[t] = zlib.crc32(t.encode())
    return list(map(cache.__getitem__, tokens))


def words(text: str | None) -> list[str]:
    """Folded words of a text: HTML tags dropped, lower case, accents removed
    (``"Société"`` → ``"societe"``); letters without an ASCII base (ø, ł) are dropped, the same
    way on both sides of a comparison. All C-level string operations: this runs on every ad."""
    if not text:
        return []
    s = _TAGS.sub(" ", text).lower()
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return _WORDS.findall(s)


def shingles(tokens: Sequence[str]) -> set[int]:
    """Hashes of the runs of ``SHINGLE_WORDS`` consecutive words (the whole text if shorter)."""
    hashes = _word_hashes(tokens)
    if len(hashes) < SHINGLE_WORDS:
        return {_mix(hashes)} if hashes else set()
    # Tuples of ints hash the same in every process (only str/bytes hashing is salted).
    return set(map(hash, zip(hashes, hashes[1:], hashes[2:], strict=False)))


def _mix(hashes: Sequence[int]) -> int:
    h = 0
    for value in hashes:
        h = (h * 1_000_003 ^ value) & _MASK
    return h


def sample(hashes: set[int]) -> list[int]:
    """The content-defined sample of a shingle set (sorted, for determinism)."""
    return sorted(h for h in hashes if h % SAMPLE_MOD == 0)


def containment(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> float:
    """Share of the smaller set found in the other (0 when either is empty)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small)


@dataclass(frozen=True, slots=True)
class CandidateStats:
    """What the candidate search did, for the run report."""

    texts: int
    sampled_shingles: int
    common_shingles_skipped: int
    candidate_pairs: int


def candidate_pairs(
    samples: Sequence[Sequence[int]], max_posting: int = MAX_POSTING
) -> tuple[list[tuple[int, int]], CandidateStats]:
    """Pairs ``(i, j)``, ``i < j``, of texts that share enough sampled shingles, sorted.

    Two shared samples are needed, or one when either text has at most three samples (a short
    text). Sampled shingles present in more than ``max_posting`` texts are skipped."""
    # Most sampled shingles occur once: keep their first text as a plain int (no list, which
    # would also keep the garbage collector busy); only repeated shingles get a list.
    first: dict[int, int] = {}
    postings: dict[int, list[int]] = {}
    for index, hashes in enumerate(samples):
        for h in hashes:
            seen = first.setdefault(h, index)
            if seen != index:
                members = postings.get(h)
                if members is None:
                    postings[h] = [seen, index]
                else:
                    members.append(index)
    shared: Counter[tuple[int, int]] = Counter()
    skipped = 0
    for members in postings.values():
        if len(members) > max_posting:
            skipped += 1
            continue
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                shared[(i, j)] += 1
    pairs = sorted(
        pair
        for pair, count in shared.items()
        if count >= 2 or min(len(samples[pair[0]]), len(samples[pair[1]])) <= 3
    )
    return pairs, CandidateStats(len(samples), len(first), skipped, len(pairs))


@dataclass(frozen=True, slots=True)
class TextProfile:
    """A text's folded word set, word count and shingle set."""

    vocabulary: frozenset[str]
    n_words: int
    shingles: frozenset[int]


def profile(text: str | None) -> TextProfile:
    tokens = words(text)
    return TextProfile(frozenset(tokens), len(tokens), frozenset(shingles(tokens)))


def cached_profiles(
    text_of: Callable[[int], str], size: int = 4096
) -> Callable[[int], TextProfile]:
    """``index -> TextProfile`` recomputed from the text on demand, keeping the last ``size``
    (verification visits pairs sorted by their first text, so the cache mostly hits)."""

    @lru_cache(maxsize=size)
    def get(index: int) -> TextProfile:
        return profile(text_of(index))

    return get
