"""Folding ad text for the phrase rules: the fast paths give what folding each character in
turn gives (text and the map back to the original characters)."""

from __future__ import annotations

import random

from signals import phrases
from signals.phrases import _fold_char, fold_with_map


def _one_by_one(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        out.append(piece)
        origin.extend([index] * len(piece))
    return "".join(out), origin


def test_accents_dashes_and_apostrophes_fold_one_for_one() -> None:
    text = "Déménageur — « Été » l’équipe, Liège: 12 €"
    folded, origin = fold_with_map(text)
    assert folded == "demenageur — « ete » l'equipe, liege: 12 €"
    assert origin == list(range(len(text)))


def test_a_character_that_folds_to_two_keeps_its_map() -> None:
    folded, origin = fold_with_map("Straße ﬁn")
    assert folded == "strasse fin"
    assert origin == [0, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8]


def test_every_path_matches_folding_character_by_character() -> None:
    alphabet = ("abcXYZ .,;:\n12`´’‘ÉÈéèàçôöüïœŒæßﬁ\u0301€°ÿİKΣσςΑ—«»→≤ꭰǅǄ")
    rng = random.Random(7)
    for _ in range(3000):
        pool = rng.sample(alphabet, rng.randint(1, len(alphabet)))
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        phrases._LAST_FOLD.clear()
        assert fold_with_map(text) == _one_by_one(text), text
