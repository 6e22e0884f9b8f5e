"""The name feature: a name comparison turned into a :class:`Feature` whose reason shows
both names and says how they were compared."""

from __future__ import annotations

from entity_resolution.compare.features import W_NAME, Feature
from entity_resolution.compare.name_profile import GARBLED_CAP, NameScore
from entity_resolution.compare.name_score import score_names
from entity_resolution.names import NormalizedName


def _pct(score: float) -> str:
    return f"{round(score * 100)} %"


def compare_names(
    query: NormalizedName,
    entry: NormalizedName,
    *,
    source: str = "the ad",
    entry_label: str = "the register's name",
    result: NameScore | None = None,
) -> Feature:
    """Name similarity as a feature, with the cores shown in the reason."""
    result = result if result is not None else score_names(query, entry)
    pair = f"('{query.core}' vs '{entry.core}')"
    if result.garbled is not None:
        side, word, form = result.garbled
        where = source if side == "query" else entry_label
        reason = (
            f"Names are {_pct(result.score)} similar {pair}, reading '{word}' in the name in "
            f"{where} as a misspelling of {form} (such a reading counts at most "
            f"{_pct(GARBLED_CAP)})."
        )
    elif result.how in ("identical", "identical_compact", "same_words"):
        extra = {
            "identical": "",
            "identical_compact": " apart from spaces",
            "same_words": " apart from word order",
        }[result.how]
        reason = (
            f"The name in {source} is identical to {entry_label}{extra} after removing "
            f"legal forms {pair}."
        )
    elif result.how == "other_place" and result.places:
        reason = (
            f"The names differ in the town they name ('{result.places[0]}' vs "
            f"'{result.places[1]}'), which usually means two different firms: similarity "
            f"capped at {_pct(result.score)} {pair}."
        )
    elif result.how == "other_trade" and result.places:
        reason = (
            f"The names differ in the trade they name ('{result.places[0]}' vs "
            f"'{result.places[1]}'), which usually means two different firms: similarity "
            f"capped at {_pct(result.score)} {pair}."
        )
    elif result.how == "generic_only":
        words = ", ".join(result.shared) or "none"
        reason = (
            f"The names share only common words ({words}), which cannot identify a "
            f"company: similarity capped at {_pct(result.score)} {pair}."
        )
    elif result.how == "whole":
        reason = (
            f"Names are {_pct(result.score)} similar written out whole with their legal forms "
            f"('{query.cleaned}' vs '{entry.cleaned}'): they differ by a few letters only"
            + ("" if entry_label == "the register's name" else f", using {entry_label}")
            + "."
        )
    elif result.how == "mistyped" and result.typos is not None:
        edits, letters = result.typos
        reason = (
            f"Names are {_pct(result.score)} similar read as one name mistyped {pair}: the "
            f"same words in the same order, {edits} of {letters} letters struck wrong (a "
            f"letter struck wrong counts as one edit; such a reading counts at most "
            f"{_pct(GARBLED_CAP)})."
        )
    elif result.how == "contained":
        shorter, longer = (
            (f"the name in {source}", entry_label)
            if len(query.tokens) < len(entry.tokens)
            else (entry_label, f"the name in {source}")
        )
        reason = (
            f"Every word of {shorter} is in {longer}, whose other words count half: names "
            f"are {_pct(result.score)} similar after removing legal forms {pair}."
        )
    else:
        reason = (
            f"Names are {_pct(result.score)} similar after removing legal forms {pair}"
            + ("" if entry_label == "the register's name" else f", using {entry_label}")
            + "."
        )
    return Feature("name", round(result.score, 4), W_NAME, reason)
