"""The matcher's compact storage gives back exactly what was put in, and forked workers give
the same answers as one process."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from entity_resolution.compare import NameProfile
from entity_resolution.index import (
    HashIndex,
    KeyColumn,
    NameColumn,
    PickleColumn,
    StringColumn,
)
from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.names import normalize_name
from entity_resolution.register import RegisterEntry

GOLDEN_INPUT = Path(__file__).parent / "golden" / "pairs_input.json"


def golden_names() -> list[str]:
    """Every name of the golden file, queries and entries: the hard cases of the matcher."""
    pairs = json.loads(GOLDEN_INPUT.read_text(encoding="utf-8"))
    names: list[str] = []
    for pair in pairs:
        for side in ("query", "entry"):
            name = pair[side].get("name")
            if name:
                names.append(name)
            names.extend(pair[side].get("other_names", ()))
    return names


def test_names_come_back_equal_to_a_fresh_normalisation() -> None:
    names = golden_names() + ["D.S.M. N.V., te Heerlen", "Peeters & Zonen", "ASBL Les Amis"]
    column = NameColumn()
    kept = []
    for text in names:
        normalized = normalize_name(text)
        if normalized.tokens:
            kept.append(text)
            column.append([(0, normalized)])
    assert len(kept) > 300
    for i, text in enumerate(kept):
        [(n, name, profile)] = column.profiled(i)
        assert n == 0
        assert name == normalize_name(text), text
        assert name.compact == normalize_name(text).compact
        assert profile == NameProfile.of(normalize_name(text)), text
    assert column.words() < sum(len(normalize_name(t).tokens) for t in kept)  # shared words


def test_register_entries_round_trip_with_dates_and_tuples() -> None:
    entry = RegisterEntry(
        "0200065765",
        "Intergemeentelijke Vereniging Veneco",
        ("Veneco", "IVV"),
        legal_form="Association de communes",
        status="AC",
        start_date=date(1966, 6, 17),
        onss_employer=True,
        postcode="9070",
        municipality="Destelbergen",
        phone="+3293250000",
        nace_codes=("84130", "38110"),
        onss_since=date(1970, 1, 1),
    )
    column = PickleColumn()
    column.append(entry)
    column.append(RegisterEntry("0200068636", "Farys"))
    column.append({"not": "an entry"})
    assert column[0] == entry
    assert column[1] == RegisterEntry("0200068636", "Farys")
    assert column[2] == {"not": "an entry"}
    assert len(column) == 3


def test_string_column_and_hash_index() -> None:
    column = StringColumn(["+3225123456", None, "", "été@exemple.be"])
    assert [column[i] for i in range(4)] == ["+3225123456", None, None, "été@exemple.be"]
    index = HashIndex()
    for i, key in enumerate(["a", "b", "a", None, "a"]):
        index.add(key, i)
    index.add("a", 4)  # the same pair twice counts once
    assert index.get("a") == [0, 2, 4]
    assert index.get("b") == [1]
    assert index.get("c") is None and index.get("c", ()) == ()
    index.add("c", 7)  # added after a lookup: merged on the next one
    assert index.get("c") == [7] and index.get("a") == [0, 2, 4]


def test_keys_of_any_hashable_type() -> None:
    keys = KeyColumn()
    for key in ["0200065765", ("csv", 12), 42, "0200065765"]:
        keys.append(key)
    keys.freeze()
    assert [keys[i] for i in range(4)] == ["0200065765", ("csv", 12), 42, "0200065765"]
    assert keys.find(("csv", 12)) == 1
    assert keys.find("0200065765") == 3  # the last one added, as a dict would keep it
    assert keys.find("42") is None  # the string is not the number


def test_workers_give_the_same_answers_in_the_same_order() -> None:
    register = [
        RegisterEntry(f"02{k:06d}{97 - (2_000_000 + k) % 97:02d}", name, postcode=pc)
        for k, (name, pc) in enumerate(
            [
                ("Bouwwerken Peeters BVBA", "2000"),
                ("Transport Peeters NV", "2000"),
                ("Nettoyage Dupont et Fils", "1000"),
                ("Brussels Cleaning Services", "1000"),
                ("Garage Janssens", "9000"),
            ]
            * 40
        )
    ]
    matcher = Matcher((e.enterprise_number, e) for e in register)
    queries = [
        MatchQuery(name=n, postcode=p)
        for n, p in [
            ("Bouwwerken Peters", "2000"),
            ("DUPONT ET FILS NETTOYAGE SRL", None),
            ("Garage Jansens", "9000"),
            ("Unknown Firm", None),
        ]
        * 30
    ]
    alone = matcher.match_many(queries)
    forked = matcher.match_many(queries, workers=2, chunk=7)
    assert forked == alone
    assert any(alone) and len(forked) == len(queries)
    assert matcher.entry(register[3].enterprise_number) == register[3]
