"""``find_phrases`` first asks the alternation of the phrases whether any matches (and where
the first one starts): the hits must be exactly those of searching every phrase in the whole
text, on the demo's ads and listings and on texts where phrases sit at the edges, side by
side, overlapping, negated or split by separators."""

from __future__ import annotations

import random
import re

import pytest

from demo.world import build_world
from signals import phrases
from signals.phrases import Phrase, find_phrases
from signals.rules.below_minimum_wage import CASH_PHRASES
from signals.rules.exploitation_wording import PHRASES
from signals.sectors import _PHRASES as SECTOR_PHRASES

LISTS = {"exploitation": PHRASES, "sectors": SECTOR_PHRASES, "cash": CASH_PHRASES}
SEEDS = [
    "Logement fourni, payé en cash, pas besoin de papiers.",
    "cash in hand", "Cashier wanted", "geen papieren nodig; zwart betaald",
    "Nettoyage de bureaux. Car wash et horeca, 7/7, ouvert 7/7.",
    "Passeport conservé par l'employeur — 12h/jour, logé nourri",
    "We never pay cash in hand. Sans papiers, logement fourni!",
    "schoonmaak-bedrijf zoekt poetsvrouw (zwartwerk) • bouwvakkers",
]


def _every_phrase_everywhere(text: str, phrase_list: list[Phrase],
                             monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """What find_phrases gives when the alternation lets every text through from its start."""
    with monkeypatch.context() as m:
        m.setattr(phrases, "_any_of", lambda _: re.compile(""))
        return [_key(h) for h in find_phrases(text, phrase_list)]


def _key(hit: phrases.Hit) -> tuple:
    return (hit.phrase.id, hit.quote, hit.start, hit.end, hit.negated_by)


def _corpus() -> list[str]:
    world = build_world(seed=11, size=400)
    texts = [f"{ad.title} \n{ad.description}" for ad in map(world.ad, range(400))]
    texts += [f"{x.title} \n{x.description}" for x in map(world.listing, range(120))]
    rng = random.Random(3)
    words = " ".join(texts[:60] + SEEDS).split()
    for _ in range(600):  # seed sentences spliced into ad words, at the edges and inside
        parts = rng.sample(SEEDS, rng.randint(1, 3)) + rng.sample(words, rng.randint(0, 25))
        rng.shuffle(parts)
        texts.append(rng.choice([" ", "", "-", "'", ", "]).join(parts))
    return texts + SEEDS + [s.upper() for s in SEEDS] + [""]


def test_the_first_pass_finds_exactly_what_every_phrase_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = {name: 0 for name in LISTS}
    corpus = _corpus()
    for text in corpus:
        for name, phrase_list in LISTS.items():
            got = [_key(h) for h in find_phrases(text, phrase_list)]
            assert got == _every_phrase_everywhere(text, phrase_list, monkeypatch), text
            found[name] += bool(got)
    # the corpus exercises both ways out: texts with hits and texts without
    for name, hits in found.items():
        assert 50 < hits < len(corpus) - 50, (name, hits)

