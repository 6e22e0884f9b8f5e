"""The blocking index: typo neighbours, rarity ranking, common words kept in their place."""

from __future__ import annotations

from entity_resolution.blocking import NameBlocks, deletions
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
