"""Comparators: small pure functions that compare one aspect of a query with a register entry
and return a :class:`Feature` — a score, a weight, and the reason in plain words.

How the matcher combines them is documented in :mod:`entity_resolution.matcher`. In short, a
feature with a positive ``weight`` is evidence **for** the match (its strength is
``weight × score``), one with a negative weight is evidence **against**, and weight 0 is
information shown to the reader that does not change the score.

Reasons name the concrete values, so that a reviewer can check them against the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Indel, Levenshtein

from entity_resolution.geo import (
    District,
    Place,
    lookup_postcode,
    place_name_words,
    postcode_for_name,
)
from entity_resolution.identifiers import VatNumber, format_enterprise_number, format_phone
from entity_resolution.names import (
    LegalForm,
    NormalizedName,
    is_non_profit,
    legal_form_relation,
)


@dataclass(frozen=True, slots=True)
class Feature:
    """One piece of evidence: ``score`` in 0..1, signed ``weight``, ``reason`` for a lawyer."""

    name: str
    score: float
    weight: float
    reason: str

    @property
    def contribution(self) -> float:
        """Signed strength of this evidence (``weight × score``)."""
        return self.weight * self.score

    def __reduce__(self) -> tuple[Any, tuple[str, float, float, str]]:
        # Pickled as its four values: the default for a slotted dataclass looks its fields
        # up again for every object, which made reading back a worker's results (a few
        # features per candidate) cost more than matching them.
        return _feature, (self.name, self.score, self.weight, self.reason)


_FEATURE_SETTERS = tuple(Feature.__dict__[name].__set__ for name in Feature.__slots__)


def _feature(name: str, score: float, weight: float, reason: str) -> Feature:
    """A :class:`Feature` made without its (frozen, slower) ``__init__`` (for unpickling)."""
    f = object.__new__(Feature)
    for setter, value in zip(_FEATURE_SETTERS, (name, score, weight, reason), strict=True):
        setter(f, value)
    return f


# --------------------------------------------------------------------------- weights

W_IDENTIFIER = 1.0  # same enterprise / BE VAT number: decisive
W_NAME = 1.0  # name similarity counts in full
W_PHONE = 0.7
W_PHONE_OTHER = -0.15  # a different phone: weak, firms have several numbers
W_EMAIL = 0.7  # the same e-mail address (controlled by its owner)
W_DOMAIN = 0.5  # the same (non free-mail) e-mail or web domain
W_POSTCODE_SAME = 0.15
W_MUNICIPALITY_SAME = 0.1
W_DISTRICT_SAME = 0.05
W_DISTRICT_OTHER = -0.05  # weak: ads often give the work place, not the seat
W_LEGAL_FORM_SAME = 0.05
W_LEGAL_FORM_OTHER = -0.2  # an association against a company (VZW vs NV)
W_LEGAL_FORM_OTHER_COMPANY = -0.1  # two kinds of company (NV vs BV, Ltd): often written loosely
W_NUMBER_CONFLICT = -0.2  # plus a cap at "possible" (matcher)
W_FOREIGN_VAT = -0.2  # plus a cap at "possible" (matcher)

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
GENERIC_ONLY_CAP = 0.5  # the best a name can score if only generic words agree
OTHER_PLACE_CAP = 0.55  # the best a name can score when each names a different town
OTHER_TRADE_CAP = 0.55  # the best a name can score when each names a different trade
TOKEN_SIMILARITY_MIN = 0.8  # below this two words count as different …
WEAK_TOKEN_SIMILARITY = 0.6  # … but from this up, distinctive words still earn some credit
WEAK_PAIR_FACTOR = 1.0
WEAK_MIN_LENGTH = 5
ABBREVIATION_SIMILARITY = 0.9  # a common word and its shortening ("constr" / "construction")
INITIAL_SIMILARITY = 0.5  # a single letter and a word it is the initial of ("P." / "Pieter")
COMPACT_SIMILARITY_MIN = 0.9  # names compared without spaces count from this similarity up
WHOLE_SIMILARITY_MIN = 0.85  # names with their legal forms, written out whole (see below)
WHOLE_MIN_LENGTH = 7
WHOLE_LETTERS_PER_EDIT = 6  # one letter changed, added or dropped per six letters (min. 2)
CONTAINED_EXTRA_WEIGHT = 0.5  # words only the longer name has, when it holds the shorter
ACRONYM_ONLY_BELOW = 0.6  # names that compare better are not read as acronyms
GARBLED_CAP = 0.95  # the most a name read with a garbled word put right can score
MISTYPED_LETTERS_PER_EDIT = 5  # a mistyped name: at most one letter in five struck wrong …
MISTYPED_WORD_SHARE = 0.4  # … and at most two in five of any one word
MISTYPED_MIN_WORD = 4  # a word with a letter struck wrong has more than four letters (or
# loses or gains one to or from four)
# rapidfuzz turns a similarity cutoff into a distance cutoff in floating point: a pair exactly
# at the cutoff (one letter changed in a five-letter word: 0.8) is lost unless the cutoff is
# lowered by a margin larger than that rounding.
_EPS = 1e-6


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


def _pct(score: float) -> str:
    return f"{round(score * 100)} %"


# --------------------------------------------------------------------------- identifiers


def compare_enterprise_numbers(
    query: str | None,
    entry: str | None,
    *,
    source: str = "the ad",
    how: str = "Enterprise number",
    owner: str | None = None,
) -> Feature | None:
    """Same enterprise number: decisive. Different: evidence against (and a cap, see matcher);
    ``owner`` names the register entry the query's number belongs to, if any."""
    if not query or not entry:
        return None
    shown = format_enterprise_number(query)
    if query == entry:
        return Feature(
            "enterprise_number",
            1.0,
            W_IDENTIFIER,
            f"{how} {shown} in {source} is identical to the register's.",
        )
    why = (
        f"it belongs to another register entry, '{owner}'"
        if owner is not None
        else "this may be another company"
    )
    return Feature(
        "enterprise_number_conflict",
        1.0,
        W_NUMBER_CONFLICT,
        f"{how} {shown} in {source} differs from the register's "
        f"({format_enterprise_number(entry)}): {why}.",
    )


def compare_foreign_vat(vat: VatNumber, entry_number: str, *, source: str = "the ad") -> Feature:
    """A foreign VAT number in the query against a Belgian register entry."""
    return Feature(
        "foreign_vat",
        1.0,
        W_FOREIGN_VAT,
        f"{source[0].upper() + source[1:]} gives the foreign VAT number {vat.compact} "
        f"({vat.country}); the register entry is the Belgian enterprise "
        f"{format_enterprise_number(entry_number)}.",
    )


#: ``format_phone`` parses the number with libphonenumber (slow); a query compared with many
#: entries shows its own number every time.
_shown_phone = lru_cache(maxsize=65_536)(format_phone)


def compare_phones(
    query: str | None,
    entry: str | None,
    *,
    source: str = "the ad",
) -> Feature | None:
    """Phones in E.164: equal is strong evidence; different counts a little against."""
    if not query or not entry or not entry.startswith("+"):
        return None
    if query == entry:
        return Feature(
            "phone",
            1.0,
            W_PHONE,
            f"Phone number {_shown_phone(query)} in {source} is the register's.",
        )
    return Feature(
        "phone_differs",
        1.0,
        W_PHONE_OTHER,
        f"Phone number {_shown_phone(query)} in {source} differs from the register's "
        f"({_shown_phone(entry)}); companies often have several numbers, so this counts "
        "only a little against.",
    )


def compare_emails(
    query: str | None,
    entry: str | None,
    *,
    source: str = "the ad",
) -> Feature | None:
    """The same e-mail address (even at a free-mail provider) is strong evidence."""
    if not query or not entry:
        return None
    if query == entry:
        return Feature(
            "email", 1.0, W_EMAIL, f"E-mail address {query} in {source} is the register's."
        )
    return None


def compare_domains(
    query: str | None,
    entry: str | None,
    *,
    what_query: str,
    what_entry: str,
    source: str = "the ad",
) -> Feature | None:
    """The same registered domain of an e-mail or website (free-mail domains never count)."""
    if not query or not entry:
        return None
    if query == entry:
        return Feature(
            "domain",
            1.0,
            W_DOMAIN,
            f"The {what_query} domain {query} in {source} is the domain of the "
            f"register's {what_entry}.",
        )
    return Feature(
        "domain_differs",
        0.0,
        0.0,
        f"The {what_query} domain {query} in {source} differs from the register's "
        f"{what_entry} domain {entry}.",
    )


# --------------------------------------------------------------------------- names


@dataclass(frozen=True, slots=True)
class NameScore:
    """A name comparison: ``score`` and how it was reached (for the reason)."""

    score: float
    how: str  # identical, same_words, identical_compact, tokens, compact, whole, contained,
    # mistyped, garbled, generic_only, other_place, other_trade, empty
    shared: tuple[str, ...] = ()
    places: tuple[str, str] | None = None  # (query's, entry's) town or trade when they differ
    garbled: tuple[str, str, str] | None = None  # (side, word, what it is read as)
    typos: tuple[int, int] | None = None  # mistyped: (letters struck wrong, letters)


@dataclass(frozen=True, slots=True)
class NameProfile:
    """A normalised name prepared for scoring (word weights computed once)."""

    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    total: float
    compact: str
    form: LegalForm | None = None
    joined: bool = False  # the name joins words with "&" / "and" / "en" …

    @classmethod
    def of(cls, name: NormalizedName) -> NameProfile:
        weights = tuple(token_weight(t) for t in name.tokens)
        joined = "&" in name.core.split()
        return cls(name.tokens, weights, sum(weights), name.compact, name.legal_form, joined)

    @property
    def whole(self) -> str:
        """The name as registered, without spaces: core then legal form ("murrayllc")."""
        return self.compact + self.form.key if self.form is not None else self.compact


def score_names(query: NormalizedName, entry: NormalizedName) -> NameScore:
    """Similarity of two normalised names in 0..1, word-order free, typo tolerant.

    Words are paired one-to-one (best pairs first; a pair needs ≥ 80 % character similarity,
    exact for words under four letters, or one being a shortening of a common word: "constr"
    for "construction" counts 90 %; an initial and a word it starts counts 50 %; a town
    written in French and in Dutch is one town); the score is the weighted share of paired
    words on both sides, with generic words (bouw, cleaning, services …) weighing 0.5, places
    0.6 and articles 0.05. Distinctive words left unpaired that are still alike (60–80 %)
    earn that share without counting as shared. When every word of one name (two or more)
    is in the other, the other's extra words count half, unless one of them names a country
    or town (a branch). If no distinctive word is paired the score is capped at 0.5: sharing
    "cleaning services" does not make two companies the same (unless every word of both
    names is paired: "Car Wash Bruxellles" is the register's "Car Wash Bruxelles"). Names
    that each keep a different town or trade word are capped at 0.55. Names written
    together or apart ("vanderhaegen" / "van der haegen") compare as the joined strings, and
    names with a distinctive word in common also written out whole with their legal forms
    (a typo in "Munray LLC"). Names of the same shape — as many words, in the same order,
    each as long, most letters in place — are read as one name mistyped and scored by the
    letters struck wrong (:func:`_mistyped`; since vigie-er/1.4: "Mitlhell GrWup" /
    "Mitchell Group" 92 %, was 84 %). Garbled small words and acronyms: see
    :func:`score_profiles`.
    """
    return score_profiles(NameProfile.of(query), NameProfile.of(entry))


def score_profiles(query: NameProfile, entry: NameProfile) -> NameScore:
    """:func:`score_names` on prepared names (the matcher prepares register names once).

    A name may also be read otherwise, and the better reading counts (at most
    ``GARBLED_CAP``, since it is a reading): words whose initials spell a word of the other
    name as that acronym ("International Business Machine Corp." / "IBM Corp."); a last word
    one typo from the other name's legal form as that legal form ("Emard Hnc" / "Emard
    Inc", "Roberts L5C" / "Roberts LLC"); a middle word one letter from "and" as the
    connector "&" when the other name has one ("Temry aUd Sons" / "Terry and Sons")."""
    plain = _score_profiles(query, entry)
    if plain.score >= GARBLED_CAP:  # no reading can do better
        return plain
    best = plain
    for side, a, b in (("query", query, entry), ("entry", entry, query)):
        for read, word, meant in _readings(a, b, plain.score):
            found = (
                _score_profiles(read, entry) if side == "query" else _score_profiles(query, read)
            )
            score = round(min(found.score, GARBLED_CAP), 4)
            if score > best.score and found.how not in ("generic_only", "other_place", "empty"):
                how = "garbled" if found.how in _IDENTICAL else found.how
                best = NameScore(score, how, found.shared, found.places, (side, word, meant))
    return best


_IDENTICAL = ("identical", "identical_compact", "same_words")
_AND = ("and", "und")


def _readings(
    a: NameProfile, b: NameProfile, plain_score: float
) -> list[tuple[NameProfile, str, str]]:
    """``a`` read with one garbled small word put right, given ``b``: (reading, the word,
    what it is read as). Acronyms are tried only for names that otherwise barely compare
    (``plain_score`` below ``ACRONYM_ONLY_BELOW``)."""
    out: list[tuple[NameProfile, str, str]] = []
    word = None
    if a.form is None and b.form is not None and len(a.tokens) >= 2:
        word = _garbled_form(a, b)
    if word is not None and b.form is not None:
        n = len(a.tokens) - 1
        read = NameProfile(
            a.tokens[:n], a.weights[:n], sum(a.weights[:n]), "".join(a.tokens[:n]), b.form
        )
        out.append((read, word, f"the legal form {b.form.abbreviation}"))
    acronym = (
        _acronym_run(a, b) if plain_score < ACRONYM_ONLY_BELOW and len(a.tokens) >= 3 else None
    )
    if acronym is not None:
        start, end, letters = acronym
        tokens = (*a.tokens[:start], letters, *a.tokens[end:])
        weights = (*a.weights[:start], 1.0, *a.weights[end:])
        read = NameProfile(tokens, weights, sum(weights), "".join(tokens), a.form, a.joined)
        out.append((read, " ".join(a.tokens[start:end]), f"its initials '{letters.upper()}'"))
    if b.joined and not a.joined and len(a.tokens) >= 3:
        for k in range(1, len(a.tokens) - 1):
            token = a.tokens[k]
            if (
                len(token) == 3
                and token not in b.tokens
                and any(Levenshtein.distance(token, c, score_cutoff=1) <= 1 for c in _AND)
            ):
                tokens = a.tokens[:k] + a.tokens[k + 1 :]
                weights = a.weights[:k] + a.weights[k + 1 :]
                read = NameProfile(tokens, weights, sum(weights), "".join(tokens), a.form, True)
                out.append((read, token, "'and'"))
                break
    return out


def _acronym_run(a: NameProfile, b: NameProfile) -> tuple[int, int, str] | None:
    """A run of at least three words of ``a`` whose initials spell a word of ``b`` that ``a``
    does not have ("International Business Machine" / "IBM"): (start, end, the word)."""
    if len(a.tokens) < 3:
        return None
    words = [t for t in b.tokens if 3 <= len(t) <= 6 and t.isalpha() and t not in a.tokens]
    if not words:
        return None
    initials = "".join(t[0] for t in a.tokens)
    for word in words:
        start = initials.find(word)
        if start >= 0:
            return start, start + len(word), word
    return None


def _garbled_form(a: NameProfile, b: NameProfile) -> str | None:
    """``a``'s last word, when ``a`` has no legal form, ``b`` has a short one (an
    abbreviation) and the word is one typo from it, or two when both are short and alike
    (same first letter, or only letters of the form: "lr" for "ltd", "cl" for "llc"); the
    word must not be one of ``b``'s words."""
    if a.form is not None or b.form is None or len(a.tokens) < 2:
        return None
    word, key = a.tokens[-1], b.form.key
    if not 2 <= len(word) <= len(key) + 1 or len(key) > 5 or word in b.tokens:
        return None
    distance = Levenshtein.distance(word, key, score_cutoff=2)
    alike = word[0] == key[0] or set(word) <= set(key)
    if distance <= 1 or (distance == 2 and len(word) <= 3 and len(key) >= 3 and alike):
        return word
    return None


@lru_cache(maxsize=65_536)
def _word_pair(a: str, b: str) -> tuple[float, bool, float]:
    """How two words pair, as far as the words alone decide: ``(alike, towns, initial)`` —
    ``alike`` is 1.0 for equal words, their similarity when ≥ ``TOKEN_SIMILARITY_MIN`` (both
    of four letters or more; the Dutch "ij" written "y" read as one), or
    ``ABBREVIATION_SIMILARITY`` when one shortens the other, else 0; ``towns`` says both are
    town names (whether they are one town depends on the words around them); ``initial`` is
    ``INITIAL_SIMILARITY`` when one is a single letter starting the other ("P." / "Pieter").

    Remembered: the words of a shortlist's names repeat (the query's own words, common
    surnames and trades), and so do the words of queries."""
    if a == b:
        return 1.0, False, 0.0
    if len(a) >= 4 and len(b) >= 4:
        similarity = Indel.normalized_similarity
        sim = similarity(a, b, score_cutoff=TOKEN_SIMILARITY_MIN - _EPS)
        if not sim and ("y" in a or "y" in b):  # Dutch "ij" written "y": Dyck, Dijck
            sim = similarity(
                a.replace("ij", "y"), b.replace("ij", "y"), score_cutoff=TOKEN_SIMILARITY_MIN - _EPS
            )
        if sim:
            return sim, False, 0.0
    if _abbreviates(a, b):
        return ABBREVIATION_SIMILARITY, False, 0.0
    town_words = place_name_words()
    towns = a in town_words and b in town_words
    initial = (len(a) == 1 and len(b) >= 3 and b[0] == a) or (
        len(b) == 1 and len(a) >= 3 and a[0] == b
    )
    return 0.0, towns, INITIAL_SIMILARITY if initial else 0.0


def _score_profiles(query: NameProfile, entry: NameProfile) -> NameScore:
    q, r = query.tokens, entry.tokens
    if not q or not r:
        return NameScore(0.0, "empty")
    if q == r:
        return NameScore(1.0, "identical", q)
    if query.compact == entry.compact:
        return NameScore(1.0, "identical_compact", q)
    if len(q) == len(r) and sorted(q) == sorted(r):
        return NameScore(1.0, "same_words", q)
    similarity = Indel.normalized_similarity
    pairs: list[tuple[float, int, int]] = []
    for i, a in enumerate(q):
        for j, b in enumerate(r):
            alike, towns, initial = _word_pair(a, b)
            if alike:
                pairs.append((alike, i, j))
            elif towns and _same_town(q, i, r, j):
                pairs.append((1.0, i, j))  # one town in two languages: Bruxelles / Brussel
            elif initial:
                pairs.append((initial, i, j))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_r: set[int] = set()
    matched = 0.0
    distinctive = False
    shared: list[tuple[int, str]] = []
    qw, rw = query.weights, entry.weights
    for sim, i, j in pairs:
        if i in used_q or j in used_r:
            continue
        used_q.add(i)
        used_r.add(j)
        matched += sim * (qw[i] + rw[j])
        shared.append((j, r[j]))
        if qw[i] == 1.0 and rw[j] == 1.0:
            distinctive = True
    if distinctive:
        matched += _weak_pairs(query, entry, used_q, used_r)
    total = query.total + entry.total
    how = "tokens"
    contained = _contained(query, entry, used_q, used_r, distinctive)
    if contained is not None:  # every word of the shorter name is in the longer one
        longer, used = (entry, used_r) if contained == "query" else (query, used_q)
        extra = sum(w for k, w in enumerate(longer.weights) if k not in used)
        total -= (1.0 - CONTAINED_EXTRA_WEIGHT) * extra
        how = "contained"
    score = matched / total if total else 0.0
    if min(len(query.compact), len(entry.compact)) >= 6:
        joined = similarity(
            query.compact, entry.compact, score_cutoff=COMPACT_SIMILARITY_MIN - _EPS
        )
        if joined > score:  # distinctive only if each name has a distinctive word
            score, how = joined, "compact"
            distinctive = 1.0 in query.weights and 1.0 in entry.weights
    if distinctive and score < WHOLE_SIMILARITY_MIN:
        whole = _whole_similarity(query, entry)
        if whole > score and _leftovers_alike(query, entry, used_q, used_r):
            score, how = whole, "whole"
    words = tuple([word for _, word in sorted(shared)])
    typos = None
    if score < GARBLED_CAP:
        mistyped = _mistyped(query, entry)
        if mistyped is not None and mistyped[0] > score:
            score, how, typos = mistyped[0], "mistyped", mistyped[1:]
    if score > OTHER_PLACE_CAP:
        towns = _different_towns(query, entry, used_q, used_r)
        if towns is not None:
            return NameScore(OTHER_PLACE_CAP, "other_place", words, towns)
    if score > OTHER_TRADE_CAP:
        trades = _different_trades(query, entry, used_q, used_r)
        if trades is not None:
            return NameScore(OTHER_TRADE_CAP, "other_trade", words, trades)
    # A name made only of common words ("Car Wash Bruxelles") is still a name: when every
    # word on both sides is paired, the cap would treat a typo worse than the identical name.
    whole = len(used_q) == len(q) and len(used_r) == len(r)
    if not distinctive and score > GENERIC_ONLY_CAP and not whole:
        return NameScore(GENERIC_ONLY_CAP, "generic_only", words)
    return NameScore(min(score, 1.0), how, words, typos=typos)


def _mistyped(query: NameProfile, entry: NameProfile) -> tuple[float, int, int] | None:
    """The two names read as one name mistyped, word for word: ``(score, letters struck
    wrong, letters)``, or None.

    Typing and OCR noise changes letters, not the shape of a name: the words stay as many,
    in the same order, each as long (give or take one letter). When two names keep that
    shape with most letters in place, the changed letters are read as typos ("Mitlhell
    GrWup" / "Mitchell Group") instead of each word being scored on its own. It needs:

    - at most one letter in five of the whole name struck wrong
      (``MISTYPED_LETTERS_PER_EDIT``) and, in each word, one in five (the standard of a
      typo; words of four letters or less never change a letter: "Maes" is not "Maas");
    - two in five of a word (``MISTYPED_WORD_SHARE``) only where the word is plainly
      garbled — it mixes digits into letters ("Kessler-4fsco"), or it is no common word
      and stands where the other name has one ("Ratke GroqX" / "Ratke Group") — or where
      two other distinctive words agree ("Swzer, Harris and Limtel");
    - a distinctive word that agrees to within one letter in five (common words alone
      never make a reading); two different common words are two words, not a typo
      ("Centrum" / "Centre"); numbers never change;
    - for a one-word name, the same legal form (or its successor) on both sides, as the
      agreeing second clue; legal forms of different kinds never.

    The score counts a letter struck wrong as one edit over the letters of both names (not
    as a letter dropped plus one added), capped at ``GARBLED_CAP``."""
    q, r = query.tokens, entry.tokens
    if len(q) != len(r) or not q:
        return None
    relation = legal_form_relation(query.form, entry.form)
    if relation == "different" or (len(q) == 1 and relation not in ("same", "successor")):
        return None
    edits = letters = both = anchors = 0
    loose = 0  # words with more than one letter in five struck wrong
    for i, (a, b) in enumerate(zip(q, r, strict=True)):
        longest = max(len(a), len(b))
        letters += longest
        both += len(a) + len(b)
        distinctive = query.weights[i] == 1.0 and entry.weights[i] == 1.0
        if a == b:
            anchors += distinctive
            continue
        if (
            abs(len(a) - len(b)) > 1
            or min(len(a), len(b)) < MISTYPED_MIN_WORD
            or longest <= MISTYPED_MIN_WORD
            or a.isdigit()
            or b.isdigit()
            or (_known_word(a) and _known_word(b))
        ):
            return None
        d = Levenshtein.distance(a, b, score_cutoff=int(longest * MISTYPED_WORD_SHARE))
        if d * MISTYPED_LETTERS_PER_EDIT <= longest:
            anchors += distinctive
        elif d <= int(longest * MISTYPED_WORD_SHARE) and _garbled_word(a, b):
            pass
        elif d <= int(longest * MISTYPED_WORD_SHARE):
            loose += 1
        else:
            return None
        edits += d
    if not edits or not anchors or edits * MISTYPED_LETTERS_PER_EDIT > letters:
        return None
    if loose and (loose > 1 or anchors < 2):
        return None
    return min(GARBLED_CAP, 1.0 - edits / both), edits, letters


def _known_word(word: str) -> bool:
    """A word of the vocabulary of company names (common, place or country word, article)."""
    return token_weight(word) != 1.0 or word in COUNTRY_WORDS


def _garbled_word(a: str, b: str) -> bool:
    """One of two words is plainly garbled: it mixes digits into letters, or it is no
    common word and the other is one of five letters or more ("groqx" for "group")."""
    for x, y in ((a, b), (b, a)):
        if not x.isalpha() and any(c.isalpha() for c in x):
            return True
        if len(y) >= 5 and y in GENERIC_WORDS and not _known_word(x):
            return True
    return False


def _leftovers_alike(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> bool:
    """The words left unpaired on the two sides are still alike (at least
    ``WEAK_TOKEN_SIMILARITY`` written together), or one side has none left: a typo, not
    another word ("Feest-Funk" / "Fes-Funk", but not "ASML Holland" / "AMP Holland")."""
    a = "".join(t for k, t in enumerate(query.tokens) if k not in used_q)
    b = "".join(t for k, t in enumerate(entry.tokens) if k not in used_r)
    if not a or not b:
        return True
    return Indel.normalized_similarity(a, b) >= WEAK_TOKEN_SIMILARITY - _EPS


def _whole_similarity(query: NameProfile, entry: NameProfile) -> float:
    """Similarity of the two names written out whole with their legal forms, or 0.0 when the
    legal forms are of different kinds or the names differ by more than one letter per six
    (at least two): then a whole word differs. The matcher also asks that the words left
    unpaired be alike (:func:`_leftovers_alike`).

    A letter wrong in a one-word name ("Munray LLC" / "Murray LLC") or a garbled legal form
    ("Emard Hnc" / "Emard Inc") weighs less against the whole registered name than against
    one word; the matcher uses this only when a distinctive word already agrees."""
    a, b = query.whole, entry.whole
    if min(len(a), len(b)) < WHOLE_MIN_LENGTH:
        return 0.0
    edits = max(2, round(max(len(a), len(b)) / WHOLE_LETTERS_PER_EDIT))
    if abs(len(a) - len(b)) > edits or Levenshtein.distance(a, b, score_cutoff=edits) > edits:
        return 0.0
    if legal_form_relation(query.form, entry.form) == "different":
        return 0.0
    return Indel.normalized_similarity(a, b, score_cutoff=WHOLE_SIMILARITY_MIN - _EPS)


def _weak_pairs(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> float:
    """Credit for distinctive words left unpaired on both sides that are still alike
    (``WEAK_TOKEN_SIMILARITY`` ≤ similarity < ``TOKEN_SIMILARITY_MIN``, five letters or more,
    lengths within one): two letters garbled in "Bruen-Hyqney" / "Bruen-Heaney". They add
    ``WEAK_PAIR_FACTOR`` × similarity of their weight but never count as shared words."""
    left_q = [
        (i, a)
        for i, a in enumerate(query.tokens)
        if i not in used_q and query.weights[i] == 1.0 and len(a) >= WEAK_MIN_LENGTH
    ]
    if not left_q:
        return 0.0
    left_r = [
        (j, b)
        for j, b in enumerate(entry.tokens)
        if j not in used_r and entry.weights[j] == 1.0 and len(b) >= WEAK_MIN_LENGTH
    ]
    pairs: list[tuple[float, int, int]] = []
    for i, a in left_q:
        for j, b in left_r:
            if abs(len(a) - len(b)) <= 1:
                sim = Indel.normalized_similarity(a, b, score_cutoff=WEAK_TOKEN_SIMILARITY - _EPS)
                if sim:
                    pairs.append((sim, i, j))
    credit = 0.0
    taken_q: set[int] = set()
    taken_r: set[int] = set()
    for sim, i, j in sorted(pairs, reverse=True):
        if i not in taken_q and j not in taken_r:
            taken_q.add(i)
            taken_r.add(j)
            credit += WEAK_PAIR_FACTOR * sim * 2.0
    return credit


def _contained(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int], distinctive: bool
) -> str | None:
    """Which name ("query" or "entry") has all its words, at least two, paired with words of
    the other, which has more ("Koninklijke Philips" in "Koninklijke Philips Electronics");
    None otherwise, when no distinctive word is paired, or when a word only the longer name
    has is a place or a country (a branch: "Du Pont de Nemours" and "Du Pont de Nemours
    Nederland")."""
    if not distinctive:
        return None
    if len(used_q) == len(query.tokens) >= 2 and len(entry.tokens) > len(used_r):
        side, longer, used = "query", entry, used_r
    elif len(used_r) == len(entry.tokens) >= 2 and len(query.tokens) > len(used_q):
        side, longer, used = "entry", query, used_q
    else:
        return None
    # "Du Pont de Nemours (Nederland)" is the Dutch branch, not the same firm
    for k, token in enumerate(longer.tokens):
        if k not in used and (longer.weights[k] == PLACE_WEIGHT or token in COUNTRY_WORDS):
            return None
    return side


def _abbreviates(a: str, b: str) -> bool:
    """One word is a shortening of the other, which is a common word ("constr" for
    "construction", "log" for "logistique"). A common word is never read as the shortening
    of a longer one ("bouw" is not short for "bouwwerken")."""
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return (
        len(short) >= 3
        and len(long) > len(short) + 1
        and long.startswith(short)
        and token_weight(long) == GENERIC_WEIGHT
        and short not in GENERIC_WORDS
    )


def _same_town(q: tuple[str, ...], i: int, r: tuple[str, ...], j: int) -> bool:
    """Words ``q[i]`` and ``r[j]`` are the same municipality under two names ("Bruxelles" /
    "Brussel", "Gand" / "Gent"); a town named in several words counts whole
    ("Louvain-la-Neuve" is not "Leuven")."""
    a, b = _municipality_at(q, i), _municipality_at(r, j)
    return a is not None and a == b


@lru_cache(maxsize=20_000)
def _municipality_at(tokens: tuple[str, ...], i: int) -> str | None:
    """NIS code of the municipality named by the longest run of words starting at ``i``."""
    for n in (3, 2, 1):
        if i + n <= len(tokens):
            postcode = postcode_for_name(" ".join(tokens[i : i + n]))
            if postcode is not None:
                place = lookup_postcode(postcode)
                return place.municipality_nis if place is not None else None
    return None


def _different_trades(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> tuple[str, str] | None:
    """Each name keeps an unpaired trade word of its own ("Transport Peeters" / "Bouw
    Peeters", "Schilderwerken Maes" / "Dakwerken Maes"): two firms of the same family name in
    two trades. Words of one stem ("bouw" / "bouwwerken") are not two trades."""

    def trades(profile: NameProfile, used: set[int]) -> list[str]:
        return [t for k, t in enumerate(profile.tokens) if k not in used and t in TRADE_WORDS]

    if TRADE_WORDS.isdisjoint(query.tokens) or TRADE_WORDS.isdisjoint(entry.tokens):
        return None
    q_trades, r_trades = trades(query, used_q), trades(entry, used_r)
    for a in q_trades:
        for b in r_trades:
            if a[:4] != b[:4]:
                return a, b
    return None


def _different_towns(
    query: NameProfile, entry: NameProfile, used_q: set[int], used_r: set[int]
) -> tuple[str, str] | None:
    """Each name keeps an unpaired town name of its own ("… Jette" vs "… Mettet")."""
    towns_known = place_name_words()
    if towns_known.isdisjoint(query.tokens) or towns_known.isdisjoint(entry.tokens):
        return None

    def towns(profile: NameProfile, used: set[int]) -> list[str]:
        return [t for i, t in enumerate(profile.tokens) if i not in used and t in towns_known]

    q_towns, r_towns = towns(query, used_q), towns(entry, used_r)
    if q_towns and r_towns:
        return q_towns[0], r_towns[0]
    return None


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


def compare_legal_forms(
    query: NormalizedName, entry: NormalizedName, *, source: str = "the ad"
) -> Feature | None:
    """Legal forms of two names: agree (+), succeeded one another (neutral) or differ (−)."""
    return compare_legal_form_values(query.legal_form, entry.legal_form, source=source)


#: compare_legal_form_values by the identity of the two forms and the source (the forms are
#: kept with the answer, so that their ids are not reused while it is remembered).
_FORM_PAIRS: dict[tuple[int, int, str], tuple[LegalForm, LegalForm, Feature | None]] = {}


def compare_legal_form_values(
    a: LegalForm | None, b: LegalForm | None, *, source: str = "the ad"
) -> Feature | None:
    """Two legal forms (query's, register's): agree (+), succeeded one another (neutral) or
    differ (−); None when either is unknown. Remembered (forms are few and the matcher asks
    for every candidate; hashing a form's fields each time would cost more than the
    comparison)."""
    if a is None or b is None:
        return None
    key = (id(a), id(b), source)
    hit = _FORM_PAIRS.get(key)
    if hit is not None and hit[0] is a and hit[1] is b:
        return hit[2]
    found = _compare_legal_forms(a, b, source)
    if len(_FORM_PAIRS) >= 4096:
        _FORM_PAIRS.clear()
    _FORM_PAIRS[key] = (a, b, found)
    return found


def _compare_legal_forms(a: LegalForm, b: LegalForm, source: str) -> Feature | None:
    relation = legal_form_relation(a, b)
    if relation is None or a is None or b is None:
        return None
    if relation == "same":
        if a.abbreviation == b.abbreviation:
            return Feature(
                "legal_form", 1.0, W_LEGAL_FORM_SAME, f"Same legal form: {a.describe()}."
            )
        common = next((c for c in a.elf_codes if c in b.elf_codes), None)
        return Feature(
            "legal_form",
            1.0,
            W_LEGAL_FORM_SAME,
            f"Same legal form: {a.abbreviation} in {source}, {b.abbreviation} in the register"
            + (f" (ELF {common})." if common else "."),
        )
    if relation == "successor":
        return Feature(
            "legal_form_successor",
            1.0,
            0.0,
            f"Legal forms {a.abbreviation} and {b.abbreviation} differ, but one "
            "replaced the other under the 2019 Belgian Companies Code.",
        )
    if is_non_profit(a) or is_non_profit(b):
        return Feature(
            "legal_form_differs",
            1.0,
            W_LEGAL_FORM_OTHER,
            f"Legal forms differ: {a.describe()} vs {b.describe()}; an association and a "
            "company are different kinds of body.",
        )
    return Feature(
        "legal_form_differs",
        1.0,
        W_LEGAL_FORM_OTHER_COMPANY,
        f"Legal forms differ: {a.describe()} vs {b.describe()}; both are companies and the "
        "form is often written loosely, so this counts only a little against.",
    )


# --------------------------------------------------------------------------- places


def _district_name(district: District | None) -> str:
    return district.label if district else "unknown"


def compare_places(
    query_postcode: str | None,
    entry_postcode: str | None,
    *,
    source: str = "the ad",
    query_place: Place | None = None,
) -> Feature | None:
    """Postcode agreement with the register's seat; different districts count slightly against."""
    if not query_postcode or not entry_postcode:
        return None
    if query_postcode == entry_postcode:
        return Feature(
            "postcode",
            1.0,
            W_POSTCODE_SAME,
            f"Postcode {query_postcode} in {source} is the register's seat postcode.",
        )
    q_place = query_place or lookup_postcode(query_postcode)
    r_place = lookup_postcode(entry_postcode)
    base = f"Postcode {query_postcode} differs from the register's seat ({entry_postcode})"
    if q_place is None or r_place is None:
        return Feature("postcode_differs", 0.0, 0.0, base + ".")
    if q_place.municipality_nis and q_place.municipality_nis == r_place.municipality_nis:
        return Feature(
            "municipality",
            1.0,
            W_MUNICIPALITY_SAME,
            f"{base}, but both are in the municipality {r_place.municipality_fr}.",
        )
    if q_place.district and q_place.district == r_place.district:
        return Feature(
            "district",
            1.0,
            W_DISTRICT_SAME,
            f"{base}, but both are in the judicial district "
            f"{_district_name(r_place.district)}.",
        )
    return Feature(
        "district_differs",
        1.0,
        W_DISTRICT_OTHER,
        f"{base}; they are in different judicial districts "
        f"({_district_name(q_place.district)} vs {_district_name(r_place.district)}).",
    )
