"""The vocabulary of company names: common (generic), trade, place and country words and
articles, and how much a word says about who a company is (:func:`token_weight`)."""

from __future__ import annotations

from functools import lru_cache

from entity_resolution.geo import place_name_words

#: Words common in company names; they count ``GENERIC_WEIGHT`` instead of 1 in name scores.
GENERIC_WORDS = frozenset(
    """
    bouw bouwwerken bouwbedrijf bouwonderneming bouwgroep construct construction constructions
    constructie bouwservice renovatie renovation renovations algemene algemeen general generale
    cleaning clean schoonmaak schoonmaakbedrijf schoonmaakdiensten reiniging nettoyage proprete
    reinigung services service diensten dienst dienstverlening group groep groupe gruppe holding
    holdings trading trade traders company compagnie cie co corp belgium belgie belgique belgien
    belgian belge belgica international internationaal internationale intl europe european euro
    eu benelux transport transports transporten logistics logistiek logistique consulting consult
    consultancy management invest investments investment immo immobilier immobiliere vastgoed
    real estate solutions solution systems system technics techniek techniques technique tech
    technology technologies projects project projecten development partners partner associates
    sons zonen fils freres gebroeders broers enterprise enterprises entreprise entreprises
    onderneming ondernemingen firma handel handelsonderneming import export distribution
    distributie horeca restaurant bar cafe shop store carwash car wash interim staffing personeel
    security beheer gestion industrie industries industry works werken schilderwerken dakwerken
    painting peinture toiture plafonnage electricite elektriciteit electro sanitair chauffage
    verwarming tuin tuinen jardin jardins garden gardens green express home house huis maison food
    market center centre centrum new nieuw nouveau global world plus pro best top smart quality
    service24 pharma medical care zorg sport sports auto autos garage motors office kantoor
    agency agence bureau studio design media marketing networks network
    koninklijke royal royale
    """.split()
)
#: Trade words (a subset of the generic words): what a firm does. Two names that each keep a
#: different one name two firms ("Transport Peeters" / "Bouw Peeters").
TRADE_WORDS = frozenset(
    """
    bouw bouwwerken bouwbedrijf construct construction constructions constructie renovatie
    renovation renovations cleaning schoonmaak schoonmaakbedrijf nettoyage reiniging transport
    transports transporten logistics logistiek logistique consulting consultancy immo vastgoed
    horeca restaurant bar cafe shop carwash interim security schilderwerken dakwerken painting
    peinture toiture plafonnage electricite elektriciteit electro sanitair chauffage verwarming
    tuin tuinen jardin jardins garden gardens food garage motors pharma medical care zorg
    """.split()
)
#: Country, region and big-city words: they say where, not who.
PLACE_WORDS = frozenset(
    """
    brussels bruxelles brussel antwerpen anvers antwerp gent gand ghent liege luik namur namen
    charleroi leuven louvain mechelen brugge bruges hasselt mons bergen kortrijk oostende
    vlaanderen flanders flandre wallonie wallonia brabant limburg hainaut henegouwen
    """.split()
)
#: Country words: a name that adds one to another name usually names a national branch.
COUNTRY_WORDS = frozenset(
    """
    belgium belgie belgique belgien nederland netherlands holland niederlande paysbas
    luxembourg luxemburg france frankrijk frankreich deutschland germany duitsland allemagne
    uk gb england usa america canada schweiz suisse switzerland europe italia italy italie
    espana spain polska poland portugal
    """.split()
)
STOPWORDS = frozenset(
    "de der den het van von vd la le les du des d l the of a an & het 't s y e i di da do "
    "voor pour for bij chez".split()
)
GENERIC_WEIGHT = 0.5
PLACE_WEIGHT = 0.6
STOPWORD_WEIGHT = 0.05
SHORT_WEIGHT = 0.5  # tokens of one or two characters, and numbers


@lru_cache(maxsize=200_000)
def token_weight(token: str) -> float:
    """How much a word of a company name says about who the company is."""
    if token in STOPWORDS:
        return STOPWORD_WEIGHT
    if token in GENERIC_WORDS:
        return GENERIC_WEIGHT
    if token in PLACE_WORDS or token in place_name_words():
        return PLACE_WEIGHT
    if len(token) <= 2 or token.isdigit():
        return SHORT_WEIGHT
    return 1.0


def is_distinctive(token: str) -> bool:
    """A word that can identify a company (not generic, not a place, at least 3 letters)."""
    return token_weight(token) == 1.0


@lru_cache(maxsize=1)
def common_word_shortenings() -> dict[str, tuple[str, ...]]:
    """Every way a common word can be shortened → the common words it shortens, sorted: each
    prefix of three letters or more of a common word, at least two letters shorter than the
    word ("nett" → "nettoyage"; see ``_abbreviates`` in :mod:`.name_score`). A prefix that is
    itself a common word is listed too: the caller decides (a common word is never read as a
    shortening)."""
    found: dict[str, list[str]] = {}
    for word in GENERIC_WORDS:
        for end in range(3, len(word) - 1):
            found.setdefault(word[:end], []).append(word)
    return {prefix: tuple(sorted(words)) for prefix, words in found.items()}
