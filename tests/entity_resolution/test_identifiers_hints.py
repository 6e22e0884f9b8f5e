"""``find_identifiers`` first checks a necessary part of each slow pattern (an "@", a dot and a
top-level domain, a country code and a digit, 3+3 or 9 digits) and skips the pattern when the
text lacks it: what it finds must be exactly what running every pattern finds, on the demo's
ads and on texts mixing every kind of identifier, written every way the patterns allow."""

from __future__ import annotations

import random
import re

import pytest

from demo.world import build_world
from entity_resolution import identifiers
from entity_resolution.identifiers import find_identifiers

PIECES = [
    "info@bouwwerken-peeters.be", "jan [at] bouw [dot] be", "contact(at)firma.nl",
    "Mail: RH (AT) nettoyage-plus (DOT) fr", "www.carwash-express.be", "https://x.brussels/jobs",
    "http://firm.com/path?q=1", "site: vorst-logistiek.vlaanderen.", "e-mail:a.b@c.co.uk",
    "BE0403170701", "TVA BE 0403.170.701", "PL5261040828", "BTW-nr: BE 0834.980.750",
    "ondernemingsnummer 0403170701", "BCE 0200 065 765", "n° d'entreprise 0834.980.750",
    "0834.980.750", "KBO: 834980750", "tel 0403.170.701", "+32 2 456 12 34", "0470/12.34.56",
    "02 456 12 34", "gsm: 0475 12 34 56", "123 456", "987654321", "12.345.678,90 EUR",
    "NL853746333B01", "DE 136 695 976", "FR40303265045", "be0403170701", "ATU12345678",
]
WORDS = "recherche chauffeur poste logement fourni salaire net contact rue 12 bus 3 à Gent".split()


def _mixes(count: int) -> list[str]:
    rng = random.Random(5)
    out = []
    for _ in range(count):
        parts = rng.sample(PIECES, rng.randint(0, 4)) + rng.sample(WORDS, rng.randint(1, 8))
        rng.shuffle(parts)
        out.append(rng.choice([" ", ", ", "\n", " - ", ". "]).join(parts))
    return out


def _without_hints(text: str, monkeypatch: pytest.MonkeyPatch) -> identifiers.Identifiers:
    always = re.compile("")
    with monkeypatch.context() as m:
        for name in ("_EMAIL_AT_WORD", "_URL_HINT", "_VAT_HINT", "_BE_GROUPED_HINT",
                     "_BE_PLAIN_HINT"):
            m.setattr(identifiers, name, always)
        return find_identifiers(text)


def test_the_hints_never_change_what_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(seed=5, size=300)
    texts = [world.ad(i).description for i in range(300)] + _mixes(2500) + PIECES
    texts += [text.upper() for text in texts[300:]]  # the patterns that ignore case
    kinds = {"enterprise_numbers": 0, "vats": 0, "phones": 0, "emails": 0, "websites": 0}
    for text in texts:
        found = find_identifiers(text)
        assert found == _without_hints(text, monkeypatch), text
        for kind in kinds:
            kinds[kind] += bool(getattr(found, kind))
    # every kind is found in many texts (and missing from many): both ways out are tried
    for kind, hits in kinds.items():
        assert 100 < hits < len(texts) - 100, (kind, hits)
