"""The matcher: which register entries is this ad / listing / page about, and why.

Built once from the register (``Matcher(entries)``), then ``match(MatchQuery(...))`` returns
:class:`Candidate` objects, best first, each with the list of :class:`Feature` that produced
its score. The method, version ``Matcher.VERSION``:

1. **Candidates** come from exact identifier indexes (enterprise number, phone, e-mail,
   domain) and from the blocking index on names (:mod:`entity_resolution.blocking`: words,
   names without spaces, (postcode, word) pairs, words one typo away), which ranks entries by
   the rare name keys they share with the query. The best ``shortlist`` are scored by name;
   only those that can still reach ``t_possible`` get the full comparison. A name that
   surely scores too low for that is not even scored
   (:class:`~entity_resolution.compare.name_bound.NameBound`, an upper bound on the name
   score that never under-estimates it: results are the same).
2. **Comparators** (:mod:`entity_resolution.compare`) each give a :class:`Feature`.
3. **Combination** (documented weights in :mod:`entity_resolution.compare`):

   - evidence for the match adds up like independent clues:
     ``for = 1 − Π (1 − weight × score)`` over features with a positive weight
     (name similarity weight 1.0, same phone 0.7, same e-mail address 0.7, same domain 0.5,
     same postcode 0.15, same municipality 0.1, same judicial district 0.05, same legal
     form 0.05);
   - evidence against multiplies it down: ``score = for × Π (1 − |weight| × score)``
     (different enterprise number 0.2, foreign VAT number 0.2, an association's legal form
     against a company's 0.2, different phone 0.15, two different company forms 0.1,
     seat in another judicial district 0.05);
   - the same enterprise number (or BE VAT number) is decisive: score 1.0, method
     ``enterprise_number``.
4. **Rules** that keep a person in the loop (each shown as a feature with weight 0):
   a different enterprise number or a foreign VAT number caps the score below the match
   threshold; when the best candidate found without an identifier reaches the match threshold
   but another one scores within 0.05 of it, all of those are capped below it (ambiguous); a
   name of fewer than three letters is not compared.
5. **Outcome**: ``"match"`` if score ≥ ``t_match`` (0.85), ``"possible"`` if ≥ ``t_possible``
   (0.6); below that the candidate is dropped.

Changes in 1.2 (scores differ from 1.1; measured with ``vigie evaluate``): names are also
compared written out whole with their legal form, so that one letter wrong in a one-word name
("Munray LLC" / "Murray LLC") weighs less (only up to one letter in six, and only when a
distinctive word already agrees); a last word one typo from the other's legal form ("Emard
Hnc"), a garbled "and" and words whose initials spell the other name ("International
Business Machine" / "IBM") are read as such, at most 95 %, and the reason says so; a single
digit glued between words is a space ("Roberts6LLC"); a name wholly contained in the other
counts the extra words at half (not when they name a country or town: a branch); initials
pair with first names at 50 %; a town written in French and Dutch is one town, and two
names that each keep a different town or trade ("Transport Peeters" / "Bouw Peeters") are
capped at 0.55; an address or country code after the legal form is the seat; a same phone
weighs 0.7 (was 0.6) and a different phone −0.15 (was 0).

Changes in 1.3 (the score of a given pair is unchanged; results differ because more true
entries reach scoring): blocking also finds register words two typos away from a query word
that is neither in the register nor one typo from it (:mod:`entity_resolution.blocking`,
segment index), e.g. "Dakubxwski" for "Jakubowski", "Bakkery" for "Bakkerij", and takes a
shortened common word for the word ("Jacobs Nett." finds "Jacobs Nettoyage") and initials
for the acronym they spell ("International Business Machines" finds "IBM"); a word too
common to block on still ranks the entries found through a typo ("Carwash Van Mauhysman").

Changes in 1.4 (scores differ from 1.3): two names of the same shape — as many words, in the
same order, each the same length give or take a letter — with at most one letter in five
struck wrong, overall and per word, and at least one distinctive word agreeing, are read as
one name mistyped (:mod:`entity_resolution.compare.name_readings`), scored 1 − edits ÷
letters of both names, at most 95 %, and the reason says so: "Mitlhell GrWup" / "Mitchell
Group" 0.92 (was 0.84). Two different common words ("Centrum" / "Centre"), a letter changed
in a word of four letters ("Maes" / "Maas"), numbers and legal forms of different kinds are
never typos.

Changes in 1.5 (only pairs with a website on a shared site differ from 1.4): a website is
compared by :func:`~entity_resolution.identifiers.site_key` — a page on a social network by its
path (``facebook.com/bouwpeeters``), a site-builder site by its own host — and a job board's,
a directory's or a network's own address is no identifier. Before, every firm with a Facebook
page shared the "domain" ``facebook.com`` with every other, worth 0.5 towards a match.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from entity_resolution.blocking import NameBlocks
from entity_resolution.compare import (
    W_DOMAIN,
    W_EMAIL,
    W_LEGAL_FORM_SAME,
    W_NAME,
    W_PHONE,
    W_POSTCODE_SAME,
    Feature,
    NameProfile,
    NameScore,
    _feature,
    compare_domains,
    compare_emails,
    compare_enterprise_numbers,
    compare_foreign_vat,
    compare_legal_form_values,
    compare_names,
    compare_phones,
    compare_places,
    score_profiles,
)
from entity_resolution.compare.name_bound import NameBound
from entity_resolution.geo import Place, lookup_postcode, normalize_postcode, postcode_for_name
from entity_resolution.identifiers import (
    VatNumber,
    email_domain,
    find_identifiers,
    format_enterprise_number,
    normalize_email,
    normalize_enterprise_number,
    normalize_phone,
    normalize_vat,
    normalize_website,
)
from entity_resolution.index import (
    FormColumn,
    HashIndex,
    KeyColumn,
    NameColumn,
    PickleColumn,
    StringColumn,
    name_label,
)
from entity_resolution.names import LegalForm, NormalizedName, find_legal_form, normalize_name
from entity_resolution.parallel import match_in_workers
from entity_resolution.register import RegisterEntry
from entity_resolution.slots import slot_maker

MATCH = "match"
POSSIBLE = "possible"
AMBIGUITY_MARGIN = 0.05
IDENTIFIER_METHODS = frozenset({"enterprise_number"})


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """What a page says about an employer. Every field is optional.

    ``number`` is an enterprise or VAT number as written (``"TVA BE 0123.456.789"``,
    ``"PL5261040828"``); ``text`` is free text (an ad's description) scanned for identifiers;
    ``source`` is how reasons refer to the page (``"the ad"``, ``"the listing"``).
    """

    name: str | None = None
    number: str | None = None
    phone: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    email: str | None = None
    website: str | None = None
    text: str | None = None
    source: str = "the ad"


class _StoredEntry:
    """Where a candidate's register entry is read from, once asked for (unpickling an entry
    costs more than the rest of a candidate in the parent of the worker processes, and most
    candidates' entries are never read: a batch reads the best one's)."""

    __slots__ = ("column", "i")

    def __init__(self, column: PickleColumn, i: int) -> None:
        self.column = column
        self.i = i

    def read(self) -> RegisterEntry:
        return self.column[self.i]  # type: ignore[no-any-return]

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as the entry itself, never with the column it points into
        return (_same, (self.read(),))


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Candidate:
    """A register entry the query may be about, with the evidence.

    :attr:`entry` is the register entry, read from the matcher's index the first time it is
    asked for (None for a candidate made of keys only, as the match process sends them).
    Two candidates are equal when their key, score, outcome, method and explanation are."""

    key: Hashable
    score: float
    outcome: str  # "match" | "possible"
    method: str  # "enterprise_number" | "name" | "phone" | "email" | "domain"
    explanation: list[Feature] = field(default_factory=list)
    stored_entry: RegisterEntry | _StoredEntry | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def entry(self) -> RegisterEntry | None:
        stored = self.stored_entry
        if isinstance(stored, _StoredEntry):
            stored = stored.read()
            object.__setattr__(self, "stored_entry", stored)  # read once
        return stored


#: ``Candidate(key, score, outcome, method, explanation, stored_entry)`` without its frozen
#: ``__init__`` (the matcher makes one per candidate compared).
_new_candidate = slot_maker(Candidate)

#: A candidate as :meth:`Matcher._match_rows` gives it: (entry number, key, score, outcome,
#: method, explanation).
_Row = tuple[int, Hashable, float, str, str, list[Feature]]

#: An entry's best name for a query: its score, its position among the entry's names, its
#: legal form.
_NameResult = tuple[NameScore, int, LegalForm | None]


@dataclass(slots=True)
class _Prepared:
    """A query normalised once."""

    query: MatchQuery
    name: NormalizedName | None
    profile: NameProfile | None
    numbers: list[tuple[str, str]]  # (enterprise number, how it was written: label)
    foreign_vats: list[VatNumber]
    invalid_number: str | None
    phones: list[str]
    emails: list[str]
    email_domains: list[str]
    websites: list[str]
    postcode: str | None
    place: Place | None
    name_results: dict[int, _NameResult | None] = field(default_factory=dict)
    name_scores: dict[tuple[Any, ...], NameScore] = field(default_factory=dict)
    # entry number → where its name feature, still without a reason, is in its explanation
    unexplained: dict[int, int] = field(default_factory=dict)
    # names surely scoring below a limit are not scored (see _best_name): the query's bound,
    # the limit of the entry being looked at, and the stored names shown below a limit
    bound: NameBound | None = None
    limit: float = 0.0
    below: dict[tuple[Any, ...], float] = field(default_factory=dict)
    records: dict[int, tuple[tuple[Any, ...], ...]] = field(default_factory=dict)  # read once


def combine(features: Sequence[Feature]) -> float:
    """The documented combination: independent clues for, multiplied down by clues against."""
    remaining = 1.0
    against = 1.0
    for f in features:
        strength = max(0.0, min(1.0, abs(f.weight) * f.score))
        if f.weight > 0:
            remaining *= 1.0 - strength
        elif f.weight < 0:
            against *= 1.0 - strength
    return (1.0 - remaining) * against


class Matcher:
    """Match queries against register entries (see the module docstring for the method)."""

    VERSION = "vigie-er/1.5"

    def __init__(
        self,
        entries: Iterable[tuple[Hashable, RegisterEntry]],
        *,
        t_match: float = 0.85,
        t_possible: float = 0.6,
        max_candidates: int = 5,
        max_block: int = 2000,
        shortlist: int = 20,
    ) -> None:
        self.t_match = t_match
        self.t_possible = t_possible
        self.max_candidates = max_candidates
        self.max_block = max_block
        self.shortlist = shortlist
        # Per-entry data in compact columns (entity_resolution.index): a register of a
        # million entries fits in well under a GiB and is shared, not copied, by the worker
        # processes of match_many.
        self._keys = KeyColumn()
        self._entries = PickleColumn()
        self._name_column = NameColumn()
        self._forms = FormColumn()
        self._phones = StringColumn()
        self._emails = StringColumn()
        self._email_domains = StringColumn()
        self._websites = StringColumn()
        self._postcodes = StringColumn()
        self._numbers = StringColumn()
        self._by_number = HashIndex()
        self._by_phone = HashIndex()
        self._by_email = HashIndex()
        self._by_domain = HashIndex()
        self._name_blocks = NameBlocks(max_block)
        for key, entry in entries:
            self._add(key, entry)
        _normalized_name.cache_clear()  # its names are stored in the columns now
        self._name_blocks.add_postcode_blocks(self._postcodes)
        for index in (self._by_number, self._by_phone, self._by_email, self._by_domain):
            index.freeze()
        self._keys.freeze()

    # ------------------------------------------------------------------ building

    def __len__(self) -> int:
        return len(self._entries)

    def index_bytes(self) -> int:
        """Bytes held by the index's buffers and arrays (the word lists not counted)."""
        columns = (
            self._keys, self._entries, self._name_column, self._phones, self._emails,
            self._email_domains, self._websites, self._postcodes, self._numbers,
            self._by_number, self._by_phone, self._by_email, self._by_domain, self._name_blocks,
        )  # fmt: skip
        return sum(c.nbytes() for c in columns)

    def entry(self, key: Hashable) -> RegisterEntry:
        """The register entry stored under ``key``."""
        i = self._keys.find(key)
        if i is None:
            raise KeyError(key)
        return self._entries[i]  # type: ignore[no-any-return]

    def _add(self, key: Hashable, entry: RegisterEntry) -> None:
        i = len(self._entries)
        self._keys.append(key)
        self._entries.append(entry)
        variants: list[tuple[int, NormalizedName]] = []
        names: list[NormalizedName] = []
        form = None
        for n, text in enumerate(entry.all_names):
            normalized = _normalized_name(text)
            if normalized.tokens:
                variants.append((n, normalized))
                names.append(normalized)
                form = form or normalized.legal_form
        self._name_column.append(variants)
        if form is None and entry.legal_form:
            form = find_legal_form(entry.legal_form)
        self._forms.append(form)
        phone = entry.phone
        if phone and not phone.startswith("+"):
            phone = normalize_phone(phone)
        email = normalize_email(entry.email) if entry.email else None
        mail_domain = email_domain(email) if email else None
        website = normalize_website(entry.website) if entry.website else None
        postcode = normalize_postcode(entry.postcode) if entry.country in (None, "", "BE") else None
        number = normalize_enterprise_number(entry.enterprise_number)
        self._phones.append(phone)
        self._emails.append(email)
        self._email_domains.append(mail_domain)
        self._websites.append(website)
        self._postcodes.append(postcode)
        self._numbers.append(number)
        if number:
            self._by_number.add(number, i)
        if phone:
            self._by_phone.add(phone, i)
        if email:
            self._by_email.add(email, i)
        if mail_domain:
            self._by_domain.add(mail_domain, i)
        if website:
            self._by_domain.add(website, i)
        self._name_blocks.add(i, names)

    # ------------------------------------------------------------------ querying

    def match(self, query: MatchQuery) -> list[Candidate]:
        """Candidates for ``query``, best first (at most ``max_candidates``)."""
        return [self._candidate(row) for row in self._match_rows(query)]

    def _match_rows(self, query: MatchQuery) -> list[_Row]:
        """:meth:`match` as plain rows, without the register entries: what a worker process
        sends back (:mod:`entity_resolution.parallel`), cheap to pickle."""
        prepared = self._prepare(query)
        scored: list[tuple[int, Candidate]] = []
        for i in self._worth_scoring(prepared):
            c = self._score(i, prepared)
            if c is not None:
                scored.append((i, c))
        self._apply_cross_rules(scored, prepared)
        kept = [ic for ic in scored if ic[1].score >= self.t_possible]
        kept.sort(key=_rank)
        rows = []
        for i, c in kept[: self.max_candidates]:
            self._explain_name(i, c, prepared)
            rows.append((i, c.key, c.score, c.outcome, c.method, c.explanation))
        return rows

    def _candidate(self, row: _Row) -> Candidate:
        """The candidate of a row of :meth:`_match_rows`, with its register entry read back."""
        i, key, score, outcome, method, explanation = row
        return _new_candidate(
            key, score, outcome, method, explanation, _StoredEntry(self._entries, i)
        )

    def match_many(
        self, queries: Iterable[MatchQuery], *, workers: int = 1, chunk: int = 256
    ) -> list[list[Candidate]]:
        """``match`` for each query, in order; with ``workers`` > 1, in that many forked
        processes that share this matcher's index (see :mod:`entity_resolution.parallel`)."""
        return list(self.match_iter(queries, workers=workers, chunk=chunk))

    def match_iter(
        self, queries: Iterable[MatchQuery], *, workers: int = 1, chunk: int = 256
    ) -> Iterator[list[Candidate]]:
        """Like :meth:`match_many`, one result at a time (results need not all fit in memory)."""
        if workers <= 1:
            return (self.match(q) for q in queries)
        return match_in_workers(self, queries, workers=workers, chunk=chunk)

    def _prepare(self, query: MatchQuery) -> _Prepared:
        name = normalize_name(query.name) if query.name else None
        if name is not None and len(name.compact) < 3:
            name = NormalizedName(name.original, name.cleaned, name.core, name.legal_form, ())
        numbers: list[tuple[str, str]] = []
        foreign: list[VatNumber] = []
        invalid = None
        if query.number:
            vat = normalize_vat(query.number)
            if vat is not None and vat.country != "BE":
                foreign.append(vat)
            elif vat is not None and vat.enterprise_number:
                numbers.append((vat.enterprise_number, "VAT number BE"))
            elif plain := normalize_enterprise_number(query.number):  # only when needed
                numbers.append((plain, "Enterprise number"))
            else:
                invalid = query.number
        found = find_identifiers(query.text) if query.text else None
        if found is not None:
            for number in found.enterprise_numbers:
                if all(number != n for n, _ in numbers):
                    numbers.append((number, "Enterprise number"))
            foreign.extend(v for v in found.foreign_vats if v not in foreign)
        phones = [p for p in [normalize_phone(query.phone)] if p]
        emails = [e for e in [normalize_email(query.email)] if e]
        websites = [w for w in [normalize_website(query.website)] if w]
        if found is not None:
            phones += [p for p in found.phones if p not in phones]
            emails += [e for e in found.emails if e not in emails]
            websites += [w for w in found.websites if w not in websites]
        domains = [d for d in (email_domain(e) for e in emails) if d]
        postcode = normalize_postcode(query.postcode)
        if postcode is None and query.municipality:
            postcode = postcode_for_name(query.municipality)
        place = lookup_postcode(postcode) if postcode else None
        profile = NameProfile.of(name) if name is not None else None
        prepared = _Prepared(
            query,
            name,
            profile,
            numbers,
            foreign,
            invalid,
            phones,
            emails,
            list(dict.fromkeys(domains)),
            websites,
            postcode,
            place,
        )
        if profile is not None and profile.tokens:
            prepared.bound = NameBound(profile)
        return prepared

    def _candidates(self, p: _Prepared) -> list[int]:
        pool = self._identifier_pool(p)
        if p.name is not None and p.name.tokens:
            ranked = self._name_blocks.rank(p.name, p.postcode, self.shortlist)
            pool.update(dict.fromkeys(ranked))
        return list(pool)

    def _identifier_pool(self, p: _Prepared) -> dict[int, None]:
        """The entries sharing an identifier with the query (an ordered set), each kind of
        identifier capped at ``max_block`` but the enterprise number."""
        pool: dict[int, None] = {}
        for number, _ in p.numbers:
            pool.update(dict.fromkeys(self._by_number.get(number, ())))
        for phone in p.phones:
            pool.update(dict.fromkeys(self._by_phone.get(phone, ())[: self.max_block]))
        for email in p.emails:
            pool.update(dict.fromkeys(self._by_email.get(email, ())[: self.max_block]))
        for domain in [*p.email_domains, *p.websites]:
            pool.update(dict.fromkeys(self._by_domain.get(domain, ())[: self.max_block]))
        return pool

    def _best_name(self, i: int, p: _Prepared) -> _NameResult | None:
        """The score of the entry's name closest to the query's name, that name's position
        among the entry's names and its legal form (memoised per query, per entry and per
        stored name: many entries of a shortlist bear the very same name).

        While ``p.limit`` is above 0 (set by :meth:`_worth_scoring`: an entry whose best name
        scores below it is not worth scoring), a name that the query's
        :class:`~entity_resolution.compare.name_bound.NameBound` shows to score below the
        limit is not scored. When every name of the entry is below it, the result is None
        (the entry is dropped, as it would be on its exact score), or the best of the
        names scored when that is below the limit too; either way it is not remembered, so
        no later caller can read it as the entry's exact result."""
        known = p.name_results.get(i, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        found: _NameResult | None = None
        limit = p.limit
        skipped = False
        if p.profile is not None and p.profile.tokens:
            column, scores, bound, below = self._name_column, p.name_scores, p.bound, p.below
            records = p.records.get(i)
            for record in column.records(i) if records is None else records:
                same = record[1:]  # the name but its position: what its profile is made of
                result = scores.get(same)
                if result is None:
                    if limit > 0.0 and below.get(same, 2.0) <= limit:
                        skipped = True
                        continue
                    profile = column.profile(record)
                    if limit > 0.0 and bound is not None and bound.below(profile, limit):
                        below[same] = limit
                        skipped = True
                        continue
                    result = scores[same] = score_profiles(p.profile, profile)
                if found is None or result.score > found[0].score:
                    found = (result, record[0], column.form(record))
        if skipped and (found is None or found[0].score < limit):
            return found
        p.name_results[i] = found
        return found

    def _worth_scoring(self, p: _Prepared) -> list[int]:
        """Candidates worth a full comparison, most promising first.

        Each is bounded by what it could reach: its name score combined with every clue for
        it that could still agree — the best postcode (0.15) and legal-form (0.05)
        agreement when the query gives a postcode and a legal form, and the same phone,
        e-mail or domain when the entry has the query's. Those whose bound cannot reach
        ``t_possible`` are dropped (their score would be below it too); entries found by
        their enterprise number are always compared. Without any identifier in the query,
        the rest are ranked by the bound with both postcode and legal form (as if the query
        had them), and beyond the best ``max_candidates + 5`` only those whose rank bound
        reaches ``t_match`` are kept (they matter for the ambiguity rule).

        Both tests ask for a least name score (:func:`_least_name_score`); names that surely
        score below it are not scored at all (``p.limit``, see :meth:`_best_name`)."""
        try:
            return self._worth(p)
        finally:
            p.limit = 0.0

    def _worth(self, p: _Prepared) -> list[int]:
        """:meth:`_worth_scoring` (which resets ``p.limit`` whatever happens)."""
        pool = self._candidates(p)
        if p.bound is not None:  # what the shortlist's words can earn, in one batch
            column = self._name_column
            p.records = {i: column.records(i) for i in pool}
            p.bound.add(column.words_of(p.records.values()))
        # scores are rounded to 4 decimals: a margin, so that none is lost to the rounding
        floor = self.t_possible - 1e-3
        # what the clues for a match that this query can give leave at most: a postcode, a
        # legal form (each only if the query has one)
        keep_query = (1.0 - W_POSTCODE_SAME if p.postcode else 1.0) * (
            1.0 - W_LEGAL_FORM_SAME if p.name is not None and p.name.legal_form else 1.0
        )
        if p.numbers or p.phones or p.emails or p.email_domains or p.websites:
            numbers = {n for n, _ in p.numbers}
            worth: list[int] = []
            for i in pool:
                if numbers and self._numbers[i] in numbers:
                    worth.append(i)
                    continue
                contact_left = self._contact_left(i, p)
                p.limit = _least_name_score(floor, keep_query * contact_left)
                found = self._best_name(i, p) if p.name is not None else None
                left = keep_query * (1.0 - found[0].score if found is not None else 1.0)
                if 1.0 - left * contact_left >= floor:
                    worth.append(i)
            return worth
        keep = (1.0 - W_POSTCODE_SAME) * (1.0 - W_LEGAL_FORM_SAME)
        p.limit = max(
            _least_name_score(floor, keep_query), _least_name_score(self.t_possible, keep)
        )
        bounds: list[tuple[float, int]] = []
        for i in pool:
            found = self._best_name(i, p)
            if found is None or 1.0 - (1.0 - found[0].score) * keep_query < floor:
                continue
            # ranked by the bound any query could reach (a function of the name score alone)
            bound = 1.0 - (1.0 - found[0].score) * keep
            if bound >= self.t_possible:
                bounds.append((bound, i))
        bounds.sort(reverse=True)
        head = self.max_candidates + 5
        return [i for n, (bound, i) in enumerate(bounds) if n < head or bound >= self.t_match]

    def _contact_left(self, i: int, p: _Prepared) -> float:
        """``Π (1 − weight)`` over the contact clues of entry ``i`` that equal the query's
        (same phone, same e-mail, same domain): what the clues for a match leave at most."""
        left = 1.0
        if p.phones and self._phones[i] in p.phones:
            left *= 1.0 - W_PHONE
        if p.emails and self._emails[i] in p.emails:
            left *= 1.0 - W_EMAIL
        if p.email_domains or p.websites:
            domains = (*p.email_domains, *p.websites)
            if self._email_domains[i] in domains or self._websites[i] in domains:
                left *= 1.0 - W_DOMAIN
        return left

    def _score(self, i: int, p: _Prepared) -> Candidate | None:
        """The full comparison of entry ``i`` with the query (the candidate's ``entry`` is
        left out: :meth:`match` reads it back for the candidates it returns)."""
        src = p.query.source
        features: list[Feature] = []
        number = self._numbers[i] if p.numbers or p.foreign_vats else None
        identified = False
        if p.numbers and number:
            hit = next(((n, how) for n, how in p.numbers if n == number), None)
            if hit is not None:
                f = compare_enterprise_numbers(hit[0], number, source=src, how=hit[1])
                identified = True
            else:
                given, how = p.numbers[0]
                owners = self._by_number.get(given)
                owner = self._entries[owners[0]].name if owners else None
                f = compare_enterprise_numbers(given, number, source=src, how=how, owner=owner)
            if f is not None:
                features.append(f)
        if p.foreign_vats and number and not identified:
            features.append(compare_foreign_vat(p.foreign_vats[0], number, source=src))
        if p.invalid_number:
            features.append(
                _feature(
                    "number_invalid",
                    0.0,
                    0.0,
                    f"The number '{p.invalid_number}' in {src} is not a valid enterprise or VAT "
                    "number (its check digits fail).",
                )
            )
        if p.phones or p.emails or p.email_domains or p.websites:
            features.extend(self._contact_features(i, p))
        found = self._best_name(i, p) if p.name is not None else None
        name_at = -1
        if p.name is not None and found is not None:
            # the reason is written only if the candidate is kept (below); the score is that
            # of compare_names
            name_at = len(features)
            features.append(_feature("name", round(found[0].score, 4), W_NAME, ""))
        elif p.name is not None and p.query.name and not p.name.tokens:
            features.append(
                Feature(
                    "name_too_short",
                    0.0,
                    0.0,
                    f"The name '{p.query.name}' in {src} is too short to compare.",
                )
            )
        if p.name is not None and found is not None:
            form_feature = compare_legal_form_values(
                p.name.legal_form, found[2] or self._forms[i], source=src
            )
            if form_feature is not None:
                features.append(form_feature)
        place = _place_feature(p.postcode, self._postcodes[i], src) if p.postcode else None
        if place is not None:
            features.append(place)
        if identified:
            score, method = 1.0, "enterprise_number"
        else:
            score = combine(features)
            method = _method(features)
            # (only a number in the query gives these features)
            if (p.numbers or p.foreign_vats) and any(
                f.name in ("enterprise_number_conflict", "foreign_vat") for f in features
            ):
                cap = self.t_match - 0.01
                if score > cap:
                    score = cap
                    features.append(
                        Feature(
                            "rule_numbers_disagree",
                            0.0,
                            0.0,
                            "Score capped below the match threshold because the numbers disagree: "
                            "a person must decide.",
                        )
                    )
        score = round(score, 4)
        if score < self.t_possible and not identified:
            return None
        if name_at >= 0:
            # its reason is written by _explain_name, only for the candidates returned
            p.unexplained[i] = name_at
        outcome = MATCH if score >= self.t_match else POSSIBLE
        return _new_candidate(self._keys[i], score, outcome, method, features, None)

    def _explain_name(self, i: int, c: Candidate, p: _Prepared) -> None:
        """Write the reason of candidate ``c``'s name feature (entry ``i``), which
        :meth:`_score` left empty: reading the entry's name back and wording the reason cost
        as much as the rest of its comparison, and most candidates compared are not returned.
        The feature's score is already that of ``compare_names``; rules appended features
        after it, never before."""
        name_at = p.unexplained.get(i)
        found = p.name_results.get(i)
        if name_at is None or p.name is None or found is None:
            return
        result, n, _form = found
        best_name = self._name_column.name(i, n, p.records.get(i))
        label = name_label(n, best_name.original)
        c.explanation[name_at] = compare_names(
            p.name, best_name, source=p.query.source, entry_label=label, result=result
        )

    def _contact_features(self, i: int, p: _Prepared) -> list[Feature]:
        if not (p.phones or p.emails or p.email_domains or p.websites):
            return []
        src = p.query.source
        out: list[Feature] = []
        phone = self._phones[i]
        if p.phones and phone:
            f = compare_phones(phone if phone in p.phones else p.phones[0], phone, source=src)
            if f is not None:
                out.append(f)
        email = self._emails[i]
        exact = None
        if p.emails and email and email in p.emails:
            exact = compare_emails(email, email, source=src)
            if exact is not None:
                out.append(exact)
        if exact is None:
            domains: list[tuple[str, str | None, str, str]] = [
                *((d, self._email_domains[i], "e-mail", "e-mail") for d in p.email_domains),
                *((d, self._websites[i], "e-mail", "website") for d in p.email_domains),
                *((w, self._websites[i], "website", "website") for w in p.websites),
                *((w, self._email_domains[i], "website", "e-mail") for w in p.websites),
            ]
            found = [
                compare_domains(q, r, what_query=a, what_entry=b, source=src)
                for q, r, a, b in domains
            ]
            same = [f for f in found if f is not None and f.name == "domain"]
            differ = [f for f in found if f is not None and f.name != "domain"]
            if same:
                out.append(same[0])
            elif differ:
                out.append(differ[0])
        return out

    def _apply_cross_rules(self, scored: list[tuple[int, Candidate]], p: _Prepared) -> None:
        """Rules that look at several candidates: ambiguity, and a number pointing elsewhere.
        ``scored`` holds (entry number, candidate) pairs; candidates are replaced in place."""
        # only a number in the query identifies a candidate (method "enterprise_number"):
        # without one, every candidate compares by name, and the ambiguity rule needs their
        # order only when the best reaches t_match
        if p.numbers:
            by_name = sorted(
                (k for k, (_i, c) in enumerate(scored) if c.method not in IDENTIFIER_METHODS),
                key=lambda k: -scored[k][1].score,
            )
            top = scored[by_name[0]][1].score if by_name else 0.0
        else:
            top = max((c.score for _i, c in scored), default=0.0)
            if top < self.t_match:
                return
            by_name = sorted(range(len(scored)), key=lambda k: -scored[k][1].score)
        tied = [k for k in by_name if top - scored[k][1].score < AMBIGUITY_MARGIN]
        if top >= self.t_match and len(tied) >= 2:
            listing = ", ".join(self._shown(*scored[k]) for k in tied[:4])
            cap = self.t_match - 0.01
            for k in tied:
                i, c = scored[k]
                note = Feature(
                    "rule_ambiguous",
                    0.0,
                    0.0,
                    f"{len(tied)} register entries match about equally well "
                    f"({listing}): a person must choose; none of them is declared a match.",
                )
                scored[k] = (
                    i,
                    Candidate(c.key, min(c.score, cap), POSSIBLE, c.method, [*c.explanation, note]),
                )
        if not p.numbers:
            return
        identified = [k for k, (_i, c) in enumerate(scored) if c.method in IDENTIFIER_METHODS]
        if not identified:
            return
        strongest = max(
            (ic for ic in scored if ic[1].method not in IDENTIFIER_METHODS),
            key=lambda ic: _name_score(ic[1]),
            default=None,
        )
        if strongest is None or _name_score(strongest[1]) < self.t_match:
            return
        strongest_score = _name_score(strongest[1])
        for k in identified:
            i, c = scored[k]
            if _name_score(c) >= strongest_score:
                continue
            note = Feature(
                "similar_name_elsewhere",
                0.0,
                0.0,
                f"Another register entry, {self._shown(*strongest)}, has a name "
                f"{round(strongest_score * 100)} % similar to the name in "
                f"{p.query.source}; the number decides, but check that the number is not "
                "borrowed.",
            )
            scored[k] = (i, Candidate(c.key, c.score, c.outcome, c.method, [*c.explanation, note]))

    def _shown(self, i: int, c: Candidate) -> str:
        """How a reason names entry ``i``: ``'Name' (0123.456.789)``."""
        entry = self._entries[i]
        if not isinstance(entry, RegisterEntry):
            return f"'{c.key}' (?)"
        return f"'{entry.name}' ({format_enterprise_number(entry.enterprise_number)})"


#: What ``_Prepared.name_results`` gives for an entry not looked at yet (None is a result).
_UNKNOWN: Any = object()

#: How far below the exact least name score :func:`_least_name_score` puts its limit: far
#: more than the rounding of the few operations of the tests it stands for.
LIMIT_MARGIN = 1e-9


def _least_name_score(floor: float, left: float) -> float:
    """A name score below which ``1 − (1 − score) × left ≥ floor`` surely fails (0.0 when
    any score may pass).

    ``left`` is what the clues for a match other than the name leave at most (``Π (1 −
    weight)``), ``floor`` the score to reach. The test holds exactly from ``1 − (1 − floor)
    ÷ left`` up; the limit is ``LIMIT_MARGIN`` lower, so that a score under the limit fails
    the test as the matcher computes it, in floating point: it is monotone in the score, and
    its rounding errors are some 10⁻¹⁶."""
    if left <= 0.0:
        return 0.0
    return max(0.0, 1.0 - (1.0 - floor) / left - LIMIT_MARGIN)


def _rank(ic: tuple[int, Candidate]) -> tuple[float, bool, str]:
    """Best first: highest score, then identified by number, then by key."""
    c = ic[1]
    return (-c.score, c.method not in IDENTIFIER_METHODS, str(c.key))


def _name_score(c: Candidate) -> float:
    return next((f.score for f in c.explanation if f.name == "name"), 0.0)


#: normalize_name while the register is read: names repeat in a large register (common
#: surnames and trades, several establishments), and the objects are immutable.
_normalized_name = lru_cache(maxsize=65_536)(normalize_name)

_METHODS = {"phone": "phone", "email": "email", "domain": "domain"}


def _method(features: Sequence[Feature]) -> str:
    """The method of the strongest clue for the match (the first of equals)."""
    best: Feature | None = None
    strongest = 0.0
    for f in features:
        if f.weight > 0 and (best is None or f.weight * f.score > strongest):
            best, strongest = f, f.weight * f.score
    return "name" if best is None else _METHODS.get(best.name, "name")


@lru_cache(maxsize=16_384)
def _place_feature(
    query_postcode: str | None, entry_postcode: str | None, source: str
) -> Feature | None:
    """``compare_places`` remembered (the query's place is looked up from its postcode, as
    the matcher does): postcodes are few, and their features are immutable."""
    return compare_places(query_postcode, entry_postcode, source=source)
