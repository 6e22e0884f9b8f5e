"""Near-duplicate texts without comparing every pair: word shingles, content-defined sampling
and a capped inverted index.

A text is cut into overlapping runs of ``SHINGLE_WORDS`` folded words ("shingles"), each hashed
to a 48-bit integer with a hash that is the same in every process (CRC-32 of each word, then
mixed), so that the output does not depend on Python's per-process string hashing.

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
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from entity_resolution.text import fold

SHINGLE_WORDS = 3
SAMPLE_MOD = 4
MAX_POSTING = 100
_MASK = (1 << 48) - 1
_TAGS = re.compile(r"<[^>]{0,300}>")
_WORDS = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode())


def words(text: str | None) -> list[str]:
    """Folded words of a text (HTML tags dropped, accents and case folded)."""
    if not text:
        return []
    return _WORDS.findall(fold(_TAGS.sub(" ", text)))


def shingles(tokens: Sequence[str]) -> set[int]:
    """Hashes of the runs of ``SHINGLE_WORDS`` consecutive words (the whole text if shorter)."""
    hashes = [_word_hash(t) for t in tokens]
    if len(hashes) < SHINGLE_WORDS:
        return {_mix(hashes)} if hashes else set()
    out: set[int] = set()
    for i in range(len(hashes) - SHINGLE_WORDS + 1):
        out.add(((hashes[i] * 1_000_003 ^ hashes[i + 1]) * 1_000_003 ^ hashes[i + 2]) & _MASK)
    return out


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
    postings: dict[int, list[int]] = defaultdict(list)
    for index, hashes in enumerate(samples):
        for h in hashes:
            postings[h].append(index)
    shared: Counter[tuple[int, int]] = Counter()
    skipped = 0
    for members in postings.values():
        if len(members) < 2:
            continue
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
    return pairs, CandidateStats(len(samples), len(postings), skipped, len(pairs))


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
