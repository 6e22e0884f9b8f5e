"""The blocking index: typo neighbours (one typo, and two as a fallback), rarity ranking,
common words kept in their place."""

from __future__ import annotations

import pickle
import random

from rapidfuzz.distance import Levenshtein

from entity_resolution.blocking import (
    MAX_FAR_NEIGHBOURS,
    NameBlocks,
    acronyms,
    deletions,
    segments,
    shortened,
)
from entity_resolution.names import normalize_name as nn


def build(names: list[str], postcodes: list[str | None], max_block: int) -> NameBlocks:
    blocks = NameBlocks(max_block=max_block)
    for i, name in enumerate(names):
        blocks.add(i, [nn(name)])
    blocks.add_postcode_blocks(postcodes)
    return blocks


def test_one_typo_words_share_a_deletion() -> None:
    assert set(deletions("peters")) & set(deletions("peeters"))  # letter added
    assert set(deletions("murray")) & set(deletions("munray"))  # letter changed
    assert deletions("van") == ()  # too short / an article: no typo keys


def test_rank_finds_the_entry_despite_a_typo_and_common_words() -> None:
    names = [f"Bouw Cleaning {k:04d}" for k in range(600)] + [
        "Bouwwerken Peeters BVBA",
        "Transport Peeters NV",
    ]
    postcodes: list[str | None] = ["1000"] * 600 + ["2000", "2000"]
    blocks = build(names, postcodes, max_block=100)
    ranked = blocks.rank(nn("Bouwwerken Peters"), None, shortlist=5)
    assert ranked[0] == 600  # bouwwerken + peeters (one typo away)
    assert 601 in ranked  # peeters alone
    assert len(ranked) <= 5


def test_common_words_block_by_postcode_only() -> None:
    names = [f"Cleaning Services {k}" for k in range(300)]
    postcodes: list[str | None] = ["1000" if k < 10 else "9000" for k in range(300)]
    blocks = build(names, postcodes, max_block=100)
    # "cleaning"/"services" are shared by 300 > 100 entries: alone they bring in nobody …
    assert blocks.rank(nn("Cleaning Services"), None, shortlist=50) == []
    # … but at a postcode they narrow down to the entries there.
    assert sorted(blocks.rank(nn("Cleaning Services"), "1000", shortlist=50)) == list(range(10))


def test_two_common_words_together_make_a_block() -> None:
    # "bouw" and "peeters" are each in more than max_block entries: alone they bring in
    # nobody, but the entries holding both are few.
    names = (
        [f"Bouw Janssens {k:03d}" for k in range(150)]
        + [f"Peeters Transport {k:03d}" for k in range(150)]
        + ["Bouw Peeters", "Bouw Peeters Antwerpen"]
    )
    blocks = build(names, [None] * len(names), max_block=100)
    ranked = blocks.rank(nn("Bouw Peters"), None, shortlist=5)  # a typo, no postcode
    assert sorted(ranked) == [300, 301]


def test_rank_is_the_same_after_adding_more_entries() -> None:
    blocks = NameBlocks(max_block=100)
    blocks.add(0, [nn("Bouwwerken Peeters BVBA")])
    assert blocks.rank(nn("Bouwwerken Peeters"), None, shortlist=5) == [0]
    blocks.add(1, [nn("Transport Peeters NV")])  # after a first query froze the index
    assert blocks.rank(nn("Transport Peters"), None, shortlist=5)[0] == 1
    assert sorted(blocks.rank(nn("Peeters"), None, shortlist=5)) == [0, 1]


def test_segments_cut_a_word_in_three_longer_pieces_last() -> None:
    assert segments(10) == ((0, 3), (3, 3), (6, 4))
    assert segments(6) == ((0, 2), (2, 2), (4, 2))
    assert segments(8) == ((0, 2), (2, 3), (5, 3))


def test_words_two_typos_away_are_found_only_as_a_fallback() -> None:
    names = ["Jakubowski Inc", "Oberbrunner Inc", "Cummerata and Sons", "Peeters BV"]
    blocks = build(names, [None] * len(names), max_block=100)
    # two letters changed / two dropped: no deletion in common, the segment index finds them
    assert blocks.far_keys(nn("Dakubxwski IZc")) == [("t:jakubowski", 0.35)]
    assert blocks.rank(nn("Dakubxwski IZc"), None, shortlist=5) == [0]
    assert blocks.rank(nn("Oberrnner Inc"), None, shortlist=5) == [1]
    assert blocks.rank(nn("Cmerata and Sons"), None, shortlist=5)[0] == 2
    # a word one typo away or in the register does not call the fallback
    assert blocks.far_keys(nn("Jakubowsky")) == []
    assert blocks.far_keys(nn("Peeters Jakubowski")) == []
    # a shorter word finds a register word of six letters or more; three edits are too many
    assert blocks.far_keys(nn("Petrs")) == [("t:peeters", 0.35)]
    assert blocks.far_keys(nn("Dakubxwzki")) == []


def test_segment_index_finds_every_word_within_two_edits() -> None:
    """The pigeonhole argument, checked against brute force on random words and edits."""
    rng = random.Random(3)
    letters = "abcdeghiklmnorstuvwz"
    vocab = sorted({"".join(rng.choices(letters, k=rng.randint(6, 14))) for _ in range(400)})
    blocks = build(vocab, [None] * len(vocab), max_block=1000)
    for word in rng.sample(vocab, 120):
        garbled = list(word)
        for _ in range(2):
            at = rng.randrange(len(garbled))
            kind = rng.randrange(3)
            if kind == 0:
                garbled[at] = rng.choice(letters)
            elif kind == 1:
                del garbled[at]
            else:
                garbled.insert(at, rng.choice(letters))
        query = "".join(garbled)
        near = sorted(
            (Levenshtein.distance(query, w), w)
            for w in vocab
            if w != query and Levenshtein.distance(query, w) <= 2
        )
        assert word == query or (Levenshtein.distance(query, word), word) in near
        expected = tuple(w for _, w in near[:MAX_FAR_NEIGHBOURS])
        assert blocks._far_neighbours(query) == expected, query


def test_typo_neighbours_are_the_words_sharing_a_deletion() -> None:
    """Checked against brute force: a small alphabet makes deletions that many register
    words share (runs of several words per digest) and words with more than 20 neighbours
    (cut to the first 20 alphabetically), next to words whose every deletion holds one."""
    rng = random.Random(7)
    vocab = sorted({"".join(rng.choices("abc", k=rng.randint(4, 7))) for _ in range(300)})
    vocab += ["zorglubix", "zorglubiks", "quintessa"]
    blocks = build(vocab, [None] * len(vocab), max_block=10_000)
    queries = vocab + ["abcab", "zorglubik", "quintesa", "nowhere", "cab", "abcabcabca"]
    shared_runs = 0
    for query in queries:
        mine = set(deletions(query))
        expected = tuple(sorted(w for w in vocab if w != query and mine & set(deletions(w))))
        shared_runs += len(expected) > 20
        assert blocks._typo_neighbours(query) == expected[:20], query
    assert shared_runs  # the cut at 20 was exercised
    assert blocks._typo_neighbours("zorglubik") == ("zorglubiks", "zorglubix")
    assert blocks._typo_neighbours("quintesa") == ("quintessa",)


def test_typo_neighbours_of_register_words_survive_an_older_pickle() -> None:
    """Register words' neighbours are listed when the index is frozen; an index pickled
    before those lists existed builds them when unpickled (the same lists)."""
    blocks = build(["Peeters Bouw", "Peters", "Pieters", "Bouwe"], [None] * 4, max_block=100)
    assert blocks._typo_neighbours("peeters") == ("peters", "pieters")
    assert blocks._typo_neighbours("peters") == ("peeters", "pieters")
    state = pickle.loads(pickle.dumps(blocks)).__dict__
    del state["_neighbours"]
    older = NameBlocks.__new__(NameBlocks)
    older.__setstate__(state)
    assert older._typo_neighbours("peters") == ("peeters", "pieters")
    assert older._typo_neighbours("bouw") == ("bouwe",)


def test_shortenings_are_looked_up_as_the_common_words_are_scanned() -> None:
    """``shortened`` looks a word up in an index of the common words' prefixes: the very
    words a scan of every common word gives, for every prefix of every common word (and the
    prefix with a letter more, and words that are not prefixes)."""
    from entity_resolution.compare import GENERIC_WORDS

    def scanned(token: str) -> tuple[str, ...]:
        if len(token) < 3 or token in GENERIC_WORDS or not token.isalpha():
            return ()
        return tuple(
            sorted(w for w in GENERIC_WORDS if len(w) > len(token) + 1 and w.startswith(token))
        )

    tokens = {"nett", "constr", "zzz", "b0uw", "Nett", "é", ""}
    for word in GENERIC_WORDS:
        for end in range(len(word) + 1):
            tokens.update((word[:end], word[:end] + "x"))
    assert [t for t in sorted(tokens) if shortened(t) != scanned(t)] == []
    assert sum(bool(shortened(t)) for t in tokens) > 400  # most prefixes shorten a word


def test_a_shortened_common_word_counts_as_the_word() -> None:
    assert shortened("nett") == ("nettoyage",)
    assert shortened("constr") == ("construct", "constructie", "construction", "constructions")
    assert shortened("bouw") == ()  # a common word itself is not a shortening
    names = [f"Jacobs {word} SRL" for word in ("Transport", "Bouw", "Peinture") * 50]
    names.append("Jacobs Nettoyage SRL")
    blocks = build(names, [None] * len(names), max_block=1000)
    assert ("t:nettoyage", 0.5) in blocks.typo_keys(nn("Jacobs Nett."))
    assert blocks.rank(nn("Jacobs Nett."), None, shortlist=5)[0] == 150


def test_a_common_word_adds_to_entries_found_through_a_typo() -> None:
    # "carwash" is in more than max_block entries: it brings in nobody, but it must still
    # count for the entries that the typo neighbour "mahuysman" brings in (1M-register miss).
    names = (
        [f"Carwash Janssens {k:03d}" for k in range(150)]
        + [f"Mahuysman Transport {k:03d}" for k in range(30)]
        + ["Carwash Van Mahuysman"]
    )
    blocks = build(names, [None] * len(names), max_block=100)
    assert blocks.rank(nn("Carwash Van Mauhysman"), None, shortlist=5)[0] == 180


def test_initials_of_three_words_find_the_acronym() -> None:
    assert acronyms(("asea", "brown", "boveri")) == ["abb"]
    assert "ibm" in acronyms(("international", "business", "machines", "corp"))
    assert acronyms(("bouw", "peeters")) == []
    names = [f"Ibis Services {k:03d}" for k in range(30)] + ["IBM Corp.", "ABB B.V."]
    blocks = build(names, [None] * len(names), max_block=100)
    assert blocks.rank(nn("International Business Machines Corp."), None, shortlist=5) == [30]
    assert blocks.rank(nn("Asea Brown Boveri AG"), None, shortlist=5) == [31]
