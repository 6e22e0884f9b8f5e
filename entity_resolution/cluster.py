"""Group records that are one entity: the same job ad seen on several boards or reposted over
weeks, the same service provider behind listings published under different names.

Pure (no database, no Scrapy): records come in as :class:`ClusterItem`, clusters go out with,
for every link, a score and a reason a lawyer can read ("same phone +32 470 12 34 56",
"same text 94 % (title + description)"). A cluster is a hint for an inspector, never a
verdict: each member says which link tied it to the others.

Job ads (kind ``"job_ad"``) — the same ad:
- **same employer, title and place**: same enterprise number (or the same employer name, legal
  form ignored), same title (case, accents, punctuation, word order and "(H/F)"-type markers
  ignored) and same postcode;
- **same text**: near-identical title + description (see :mod:`entity_resolution.neardup`;
  found through a sampled-shingle index, never by comparing all pairs), unless the two ads
  are *template siblings*: different postcodes (one employer hiring in two places), or titles
  that each carry a word of their own description that the other ad never uses ("Content
  moderation with Ukrainian" / "… with Bulgarian": one text, two jobs). A cluster never joins
  two postcodes.

Listings (kind ``"listing"``) — the same provider:
- **shared strong identifier**: enterprise number (a Belgian VAT number counts as its
  enterprise number), foreign VAT number, phone, e-mail address or website domain
  (union-find, each identifier linking its records to the first of them);
- **same text**: near-identical listing text (stricter threshold, longer texts only).
- An identifier written with more than ``max_names`` different provider names (a board's own
  hotline, a call centre, a directory's e-mail) is *not* used: it would glue unrelated
  providers together. It is reported in :attr:`ClusterResult.capped` with its reason.

Deterministic: the same records give the same clusters, ids, member order and reasons in any
process. A cluster's id is ``"<kind>:<smallest member key>"``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from entity_resolution import EntityResolutionError
from entity_resolution.identifiers import (
    FREE_MAIL_DOMAINS,
    format_enterprise_number,
    format_phone,
    normalize_email,
    normalize_enterprise_number,
    normalize_phone,
    normalize_vat,
    site_key,
)
from entity_resolution.names import normalize_name
from entity_resolution.neardup import (
    MAX_POSTING,
    TextProfile,
    cached_profiles,
    candidate_pairs,
    containment,
    sample,
    shingles,
    words,
)

VERSION = "cluster-1.1"
KINDS = ("job_ad", "listing")

MAX_NAMES_PER_IDENTIFIER = 10
JOB_TEXT_THRESHOLD = 0.85
LISTING_TEXT_THRESHOLD = 0.90
MIN_JOB_SHINGLES = 12  # about a dozen words: shorter texts say too little to be "the same"
MIN_LISTING_SHINGLES = 20
KEY_RULE_SCORE = 0.95
IDENTIFIER_SCORES = {
    "enterprise_number": 1.0,
    "vat": 1.0,
    "phone": 0.9,
    "email": 0.9,
    "website": 0.8,
}
_IDENTIFIER_LABELS = {
    "enterprise_number": "enterprise number",
    "vat": "VAT number",
    "phone": "phone",
    "email": "e-mail",
    "website": "website",
}
# "(H/F)", "m/v/x", "M/W/D", "F/H/X": gender markers that boards add to titles.
_GENDER_MARKER = re.compile(r"\(?\b[hmfvwxd]\s*/\s*[hmfvwxd](?:\s*/\s*[hmfvwxd])?\b\)?", re.I)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")

Key = int | str


@dataclass(frozen=True, slots=True)
class ClusterItem:
    """One record to cluster. Identifiers may be raw ("BE 0123.456.789", "0470/12.34.56") or
    already normalised; ``name`` is the employer (job ad) or provider (listing) as written."""

    key: Key
    kind: str
    source: str = ""
    title: str | None = None
    description: str | None = None
    name: str | None = None
    enterprise_number: str | None = None
    vat: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    websites: tuple[str, ...] = ()
    postcode: str | None = None
    locality: str | None = None
    country: str | None = None  # ISO 3166 alpha-2
    date: str | None = None  # ISO date, for the reader only: reposts weeks apart still link
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """Evidence that records ``a`` and ``b`` (``a`` < ``b``) are one entity."""

    a: Key
    b: Key
    score: float
    method: str  # enterprise_number | vat | phone | email | website | text | employer_title_place
    reason: str

    def other(self, key: Key) -> Key:
        return self.b if key == self.a else self.a


@dataclass(frozen=True, slots=True)
class Member:
    """A record of a cluster, with the strongest link that ties it to another member."""

    key: Key
    score: float
    reason: str
    linked_to: Key
    links: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    kind: str
    label: str
    members: tuple[Member, ...]
    links: tuple[Link, ...]
    sources: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def keys(self) -> tuple[Key, ...]:
        return tuple(m.key for m in self.members)


@dataclass(frozen=True, slots=True)
class CappedIdentifier:
    """An identifier shared by too many different names to prove anything."""

    kind: str
    method: str
    value: str
    display: str
    names: int
    records: int
    examples: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ClusterResult:
    version: str
    clusters: tuple[Cluster, ...]
    capped: tuple[CappedIdentifier, ...]
    stats: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterOptions:
    """The thresholds (documented above); part of the result's meaning, like :data:`VERSION`."""

    max_names: int = MAX_NAMES_PER_IDENTIFIER
    job_text_threshold: float = JOB_TEXT_THRESHOLD
    listing_text_threshold: float = LISTING_TEXT_THRESHOLD
    min_job_shingles: int = MIN_JOB_SHINGLES
    min_listing_shingles: int = MIN_LISTING_SHINGLES
    max_posting: int = MAX_POSTING


@dataclass(slots=True)
class _Prepared:
    item: ClusterItem
    identifiers: list[tuple[str, str]]
    enterprise: str | None
    name_key: str
    title_key: str
    title_words: frozenset[str]
    postcode: str | None
    locality: frozenset[str]
    country: str | None


def sort_key(key: Key) -> tuple[int, int, str]:
    """Order of record keys: integers numerically, then strings."""
    return (0, key, "") if isinstance(key, int) else (1, 0, str(key))


def cluster_records(
    items: Iterable[ClusterItem], options: ClusterOptions | None = None
) -> ClusterResult:
    """Cluster job ads and listings (each kind on its own). Clusters of one record are not
    returned. Raises :class:`EntityResolutionError` on an unknown kind or a repeated key."""
    opts = options or ClusterOptions()
    by_kind: dict[str, list[ClusterItem]] = defaultdict(list)
    for item in items:
        if item.kind not in KINDS:
            raise EntityResolutionError(f"cannot cluster records of kind {item.kind!r}")
        by_kind[item.kind].append(item)
    stats: Counter[str] = Counter()
    clusters: list[Cluster] = []
    capped: list[CappedIdentifier] = []
    names: dict[str, str] = {}
    for kind in KINDS:
        group = sorted(by_kind.get(kind, []), key=lambda it: sort_key(it.key))
        for x in range(1, len(group)):
            if group[x].key == group[x - 1].key:
                raise EntityResolutionError(f"record key {group[x].key!r} given twice ({kind})")
        stats[f"{kind}_records"] = len(group)
        prepared = [_prepare(item, names) for item in group]
        get = cached_profiles(lambda i, prepared=prepared: _text(prepared[i].item))
        links: list[Link] = []
        conflict = None
        if kind == "job_ad":
            links += _key_rule_links(prepared)
            links += _text_links(prepared, get, opts.job_text_threshold, opts.min_job_shingles,
                                 opts, stats, job_ads=True)
            conflict = _conflict_check(prepared, get)
        else:
            found, caps = _identifier_links(prepared, opts.max_names)
            links += found
            capped += caps
            links += _text_links(prepared, get, opts.listing_text_threshold,
                                 opts.min_listing_shingles, opts, stats, job_ads=False)
        for link in links:
            stats[f"{kind}_links_{link.method}"] += 1
        made = _components(kind, prepared, links, stats, conflict)
        stats[f"{kind}_clusters"] = len(made)
        stats[f"{kind}_clustered_records"] = sum(len(c.members) for c in made)
        clusters += made
    stats["capped_identifiers"] = len(capped)
    return ClusterResult(VERSION, tuple(clusters), tuple(capped), dict(sorted(stats.items())))


# -- preparation ----------------------------------------------------------------------------


def _prepare(item: ClusterItem, names: dict[str, str]) -> _Prepared:
    idents: list[tuple[str, str]] = []
    enterprise = normalize_enterprise_number(item.enterprise_number or None)
    vat = normalize_vat(item.vat) if item.vat else None
    if vat is not None and vat.country == "BE":
        enterprise = enterprise or vat.number
    elif vat is not None:
        idents.append(("vat", vat.compact))
    if enterprise:
        idents.append(("enterprise_number", enterprise))
    for phone in item.phones:
        e164 = phone if phone and _E164.match(phone) else normalize_phone(phone)
        if e164:
            idents.append(("phone", e164))
    for email in item.emails:
        address = normalize_email(email)
        if address:
            idents.append(("email", address))
    for site in item.websites:
        key = site_key(site)  # a network's page by its path: the network's domain links no one
        if key and key not in FREE_MAIL_DOMAINS:
            idents.append(("website", key))
    name_key = ""
    if item.name and item.name.strip():
        name_key = names.get(item.name) or ""
        if not name_key:
            name_key = normalize_name(item.name).compact
            names[item.name] = name_key
    postcode = (item.postcode or "").strip() or None
    title_words = _title_words(item.title)
    return _Prepared(item, sorted(set(idents)), enterprise, name_key,
                     " ".join(sorted(set(title_words))), frozenset(title_words), postcode,
                     frozenset(words(item.locality)), (item.country or "").upper() or None)


def _title_words(title: str | None) -> list[str]:
    return words(_GENDER_MARKER.sub(" ", title or ""))


def _display(method: str, value: str) -> str:
    if method == "phone":
        return f"phone {format_phone(value)}"
    if method == "enterprise_number":
        return f"enterprise number {format_enterprise_number(value)}"
    return f"{_IDENTIFIER_LABELS[method]} {value}"


def _quote(text: str | None, limit: int = 80) -> str:
    s = " ".join((text or "").split())
    return f"“{s[: limit - 1]}…”" if len(s) > limit else f"“{s}”"


# -- links ----------------------------------------------------------------------------------


def _identifier_links(
    prepared: list[_Prepared], max_names: int
) -> tuple[list[Link], list[CappedIdentifier]]:
    groups: dict[tuple[str, str], list[_Prepared]] = defaultdict(list)
    for p in prepared:
        for ident in p.identifiers:
            groups[ident].append(p)
    links: list[Link] = []
    capped: list[CappedIdentifier] = []
    for (method, value), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        display = _display(method, value)
        distinct = sorted({p.name_key for p in members if p.name_key})
        if len(distinct) > max_names:
            examples = tuple(sorted({p.item.name or "" for p in members if p.name_key})[:5])
            capped.append(CappedIdentifier(
                kind=members[0].item.kind, method=method, value=value, display=display,
                names=len(distinct), records=len(members), examples=examples,
                reason=(f"{display} is shared by {len(distinct)} different names "
                        f"(more than {max_names}): it looks like a shared line (a board's "
                        "hotline, a call centre), so it was not used to link them"),
            ))
            continue
        anchor = members[0]
        for p in members[1:]:
            reason = f"same {display}"
            a_name, b_name = anchor.item.name, p.item.name
            if a_name and b_name and anchor.name_key != p.name_key:
                reason += f" under the names {_quote(a_name)} and {_quote(b_name)}"
            links.append(Link(anchor.item.key, p.item.key, IDENTIFIER_SCORES[method], method,
                              reason))
    return links, capped


def _key_rule_links(prepared: list[_Prepared]) -> list[Link]:
    """Same employer (number or name) + same title + same postcode."""
    # "0": by enterprise number, "1": by name; numbers first, so they give the reason.
    groups: dict[tuple[str, str, str, str], list[_Prepared]] = defaultdict(list)
    for p in prepared:
        if not (p.title_key and p.postcode):
            continue
        if p.enterprise:
            groups[("0", p.enterprise, p.title_key, p.postcode)].append(p)
        if p.name_key:
            groups[("1", p.name_key, p.title_key, p.postcode)].append(p)
    seen: set[tuple[Key, Key]] = set()
    links: list[Link] = []
    for (how, employer, _title, postcode), members in sorted(groups.items()):
        anchor = members[0]
        for p in members[1:]:
            if anchor.enterprise and p.enterprise and anchor.enterprise != p.enterprise:
                continue  # same name, two different enterprises
            pair = (anchor.item.key, p.item.key)
            if pair in seen:
                continue
            seen.add(pair)
            who = (f"enterprise number {format_enterprise_number(employer)}" if how == "0"
                   else f"name {_quote(anchor.item.name)}")
            links.append(Link(*pair, KEY_RULE_SCORE, "employer_title_place",
                              f"same employer ({who}), same title {_quote(anchor.item.title)} "
                              f"and same place (postcode {postcode})"))
    return links


def _text(item: ClusterItem) -> str:
    return f"{item.title or ''}\n{item.description or ''}"


def _text_links(prepared: list[_Prepared], get: Callable[[int], TextProfile],
                threshold: float, min_shingles: int,
                opts: ClusterOptions, stats: Counter[str], *, job_ads: bool) -> list[Link]:
    if not prepared:
        return []
    samples = [sample(shingles(words(_text(p.item)))) for p in prepared]
    pairs, cstats = candidate_pairs(samples, opts.max_posting)
    kind = prepared[0].item.kind if prepared else ""
    stats[f"{kind}_candidate_pairs"] += cstats.candidate_pairs
    stats[f"{kind}_common_shingles_skipped"] += cstats.common_shingles_skipped

    description = cached_profiles(lambda i: prepared[i].item.description or "", size=1024)
    links: list[Link] = []
    for i, j in pairs:
        pa, pb = get(i), get(j)
        if min(len(pa.shingles), len(pb.shingles)) < min_shingles:
            continue
        score, part = containment(pa.shingles, pb.shingles), "title + description"
        a, b = prepared[i], prepared[j]
        if score < threshold and a.item.description and b.item.description:
            # Boards rewrite titles; on a short listing the title weighs a lot.
            da, db = description(i), description(j)
            if min(len(da.shingles), len(db.shingles)) >= min_shingles:
                score, part = max((score, part),
                                  (containment(da.shingles, db.shingles), "description"))
        if score < threshold:
            continue
        if job_ads:
            place = _place_conflict(a, b)
            if place:
                stats[f"{kind}_refused_other_place"] += 1
                continue
            if _template_siblings(a, b, pa.vocabulary, pb.vocabulary):
                stats[f"{kind}_refused_template_siblings"] += 1
                continue
        links.append(Link(a.item.key, b.item.key, round(score, 4), "text",
                          _text_reason(score, part, pa, pb, a, b, job_ads)))
    return links


_STOPWORDS = frozenset(
    "and avec con com de del der des die du een en et for het in la le les met mit of op "
    "para per pour remote remoto the und van voor with".split()
)


def _place_conflict(a: _Prepared, b: _Prepared) -> bool:
    """Two places for one text: one employer hiring in two places is two ads."""
    if a.postcode and b.postcode:
        return a.postcode != b.postcode
    if a.country and b.country and a.country != b.country:
        return True
    return bool(a.locality and b.locality and not a.locality & b.locality)


def _related(word: str, others: frozenset[str]) -> bool:
    """``word`` is a variant of one of ``others`` ("moderation" / "moderator")."""
    return any(o[:5] == word[:5] and min(len(o), len(word)) >= 5 for o in others)


def _template_siblings(a: _Prepared, b: _Prepared, va: frozenset[str],
                       vb: frozenset[str]) -> bool:
    """One template filled in twice ("Content moderation with Ukrainian" / "… with
    Bulgarian"): each title has a word of its own that the other title lacks (variants and
    small words aside), and at least one of these words never appears in the other ad."""
    own_a = {w for w in a.title_words - b.title_words
             if len(w) >= 3 and w not in _STOPWORDS and not _related(w, b.title_words)}
    own_b = {w for w in b.title_words - a.title_words
             if len(w) >= 3 and w not in _STOPWORDS and not _related(w, a.title_words)}
    return bool(own_a and own_b and (own_a - vb or own_b - va))


def _text_reason(score: float, part: str, pa: TextProfile, pb: TextProfile, a: _Prepared,
                 b: _Prepared, job_ads: bool) -> str:
    reason = f"same text {int(score * 100)} % ({part})"
    small, large = sorted((pa.n_words, pb.n_words))
    if small < 0.8 * large:
        reason += f"; one copy is shortened ({small} words against {large})"
    if a.enterprise and b.enterprise:
        if a.enterprise == b.enterprise:
            reason += f"; same enterprise number {format_enterprise_number(a.enterprise)}"
        else:
            reason += (f"; note: published under two enterprise numbers "
                       f"({format_enterprise_number(a.enterprise)} and "
                       f"{format_enterprise_number(b.enterprise)})")
    elif a.name_key and a.name_key == b.name_key:
        reason += f"; same {'employer' if job_ads else 'provider'} name"
    return reason


# -- components -----------------------------------------------------------------------------


_MAX_CROSS_CHECKS = 2500


def _conflict_check(prepared: list[_Prepared],
                    get: Callable[[int], TextProfile]) -> Callable[[Key, Key], bool]:
    """``(key, key) -> bool``: the two job ads cannot be one ad (two places, or template
    siblings), whatever links their clusters."""
    position = {p.item.key: i for i, p in enumerate(prepared)}

    def conflict(x: Key, y: Key) -> bool:
        i, j = position[x], position[y]
        a, b = prepared[i], prepared[j]
        if _place_conflict(a, b):
            return True
        if a.title_words == b.title_words:
            return False
        return _template_siblings(a, b, get(i).vocabulary, get(j).vocabulary)

    return conflict


def _components(kind: str, prepared: list[_Prepared], links: list[Link],
                stats: Counter[str],
                conflict: Callable[[Key, Key], bool] | None = None) -> list[Cluster]:
    """Union the records along the links, strongest first. For job ads a union that would put
    two records that cannot be one ad (see :func:`_conflict_check`) in one cluster is refused:
    a record linked to two template siblings joins only the first."""
    index = {p.item.key: p for p in prepared}
    parent: dict[Key, Key] = {}
    places: dict[Key, set[str]] = {}
    groups: dict[Key, list[Key]] = {}

    def find(key: Key) -> Key:
        root = key
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(key, key) != root:  # path compression
            parent[key], key = root, parent[key]
        return root

    accepted: list[Link] = []
    ordered = sorted(links, key=lambda ln: (-ln.score, sort_key(ln.a), sort_key(ln.b), ln.method))
    for link in ordered:
        ra, rb = find(link.a), find(link.b)
        if ra != rb:
            pa = places.get(ra, _place(index[link.a]))
            pb = places.get(rb, _place(index[link.b]))
            if kind == "job_ad" and pa and pb and not pa & pb:
                stats[f"{kind}_refused_merges"] += 1
                continue
            ga, gb = groups.get(ra, [ra]), groups.get(rb, [rb])
            if conflict is not None and len(ga) * len(gb) <= _MAX_CROSS_CHECKS and any(
                conflict(x, y) for x in ga for y in gb
            ):
                stats[f"{kind}_refused_merges"] += 1
                continue
            low, high = sorted((ra, rb), key=sort_key)
            parent[high] = low
            parent.setdefault(low, low)
            places[low] = pa | pb
            groups[low] = ga + gb
            groups.pop(high, None)
        accepted.append(link)
    by_root: dict[Key, list[Key]] = defaultdict(list)
    for key in index:
        if key in parent:
            by_root[find(key)].append(key)
    incident: dict[Key, list[Link]] = defaultdict(list)
    for link in accepted:
        incident[link.a].append(link)
        incident[link.b].append(link)
    clusters: list[Cluster] = []
    for root in sorted(by_root, key=sort_key):
        keys = sorted(by_root[root], key=sort_key)
        if len(keys) < 2:
            continue
        members = []
        for key in keys:
            own = sorted(incident[key], key=lambda ln, k=key: (-ln.score, ln.method,
                                                               sort_key(ln.other(k))))
            best = own[0]
            members.append(Member(key, best.score, best.reason, best.other(key), tuple(own)))
        cluster_links = sorted({ln for key in keys for ln in incident[key]},
                               key=lambda ln: (sort_key(ln.a), sort_key(ln.b), ln.method))
        items = [index[k].item for k in keys]
        clusters.append(Cluster(
            id=f"{kind}:{keys[0]}", kind=kind, label=_label(kind, [index[k] for k in keys]),
            members=tuple(members), links=tuple(cluster_links),
            sources=tuple(sorted({it.source for it in items if it.source})),
            names=tuple(sorted({it.name.strip() for it in items if it.name and it.name.strip()})),
        ))
    return clusters


def _place(p: _Prepared) -> set[str]:
    return {p.postcode} if p.postcode else set()


def _most_common(values: list[str]) -> str | None:
    counts = Counter(v for v in values if v)
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], values.index(kv[0])))[0]


def _label(kind: str, prepared: list[_Prepared]) -> str:
    """Job ads: the most common title and employer name; listings: the most common provider
    name and how many other names (legal form ignored) the provider used."""
    names = [" ".join((p.item.name or "").split()) for p in prepared]
    name = _most_common(names)
    if kind == "listing":
        others = len({p.name_key for p in prepared if p.name_key}) - 1
        label = name or "(provider without a name)"
        return label + (f" (+{others} other name{'s' if others > 1 else ''})" if others > 0
                        else "")
    titles = [" ".join((p.item.title or "").split()) for p in prepared]
    title = _most_common(titles) or "(no title)"
    return f"{title} — {name}" if name else title
