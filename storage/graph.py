"""The neighbourhood graph of an enterprise or a person, read from the database.

What links enterprises in a fraud network (MISSION.md, risk 1): the persons holding functions in
them (:class:`Role`, from register pages or Gazette publications), their seats
(:class:`Address` and the employer's own seat), and the phones, e-mails and websites they use —
read from the register (:class:`Employer`) and from the records matched to them (job ads,
listings, company websites: :class:`Match` → :class:`Record`). Records clustered as one entity
(:mod:`storage.clusters`) are linked by ``same_entity`` edges.

Depth counts *enterprise steps*: the centre enterprise (or, for a person, the person's
enterprises) is level 0; an enterprise reached through one shared person or resource is level
1, and so on. Enterprises at level ``depth`` are shown but not expanded (their links to nodes
already on the graph are still drawn). ``max_nodes`` caps the graph; what did not fit is
counted in ``Graph.notes`` and ``truncated`` is set.

This module imports no other room: how an employer's juridical situation is read (bankrupt?
struck off?) is a hook (``describe``) the caller passes — :func:`signals.rules.carousel.
employer_flags` is the one the review app uses. Phones, e-mails and websites are compared on a
light canonical form (:func:`canonical`); the pipelines already store phones in E.164.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, func, or_
from sqlmodel import Session, col, select

from storage import StorageError
from storage.models import (
    Address,
    ClusterMember,
    Employer,
    Judgement,
    Match,
    Person,
    Record,
    Role,
    Signal,
)
from storage.queries import NotFoundError

RESOURCE_KINDS = ("phone", "email", "website", "address")
EDGE_FOR = {"phone": "uses_phone", "email": "uses_email", "website": "uses_website",
            "address": "seat_at"}
MAX_DEPTH = 3
DEFAULT_MAX_NODES = 150
RECORDS_PER_EMPLOYER = 8
EMPLOYERS_PER_CONNECTOR = 25
CHUNK = 500
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')  # a string of a JSON text, escapes kept

Describe = Callable[[Employer], dict[str, Any]]

#: Hosts under which many firms have pages (social networks, job boards, directories, maps,
#: shorteners): a website there names no firm by its host, so it links no one in the graph.
#: The same lists as ``entity_resolution.identifiers`` (a test keeps them equal; this room
#: imports none of the others), which keys such a page by its path for the matcher.
SHARED_PATH_HOSTS = frozenset(
    "indeed.com indeed.be stepstone.be jobat.be vdab.be actiris.brussels leforem.be "
    "monster.be jobs.be references.be talent.com jooble.org linkedin.com facebook.com "
    "2dehands.be 2ememain.be marktplaats.nl kapaza.be immoweb.be goldenpages.be pagesdor.be "
    "gulden-gids.be infobel.com trustpilot.com google.com google.be goo.gl bit.ly "
    "tinyurl.com wa.me whatsapp.com m.me t.me apple.com instagram.com tiktok.com x.com "
    "twitter.com youtube.com youtu.be pinterest.com linktr.ee fb.com fb.me".split()
)
#: Site builders that give each customer a sub-domain: ``anna.wixsite.com`` is one firm's
#: site, ``wixsite.com`` itself none.
SHARED_SUBDOMAIN_HOSTS = frozenset(
    "wixsite.com business.site blogspot.com blogspot.be jimdosite.com jimdofree.com jimdo.com "
    "webnode.be webnode.com webnode.fr webnode.nl wordpress.com weebly.com site123.me "
    "squarespace.com godaddysites.com mystrikingly.com canva.site github.io netlify.app "
    "vercel.app ueniweb.com webador.be webador.com webador.nl one-website.be".split()
)


def _shared_host(host: str) -> bool:
    """Whether ``host`` (lower case, without ``www.``) is a shared site's, naming no firm."""
    if host in SHARED_SUBDOMAIN_HOSTS or host.startswith("google.") or ".google." in host:
        return True
    return any(host == d or host.endswith("." + d) for d in SHARED_PATH_HOSTS)


class GraphError(StorageError):
    """A graph request the builder refuses (no centre, bad depth or node cap)."""


@dataclass
class Node:
    id: str
    kind: str  # employer | person | phone | email | website | address | record
    label: str
    attrs: dict[str, Any] = field(default_factory=dict)
    level: int = 0


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # director_of | seat_at | uses_* | advertised_by | same_entity
    start: date | None = None
    end: date | None = None
    origin: dict[str, Any] = field(default_factory=dict)  # where the link was read

    def key(self) -> tuple[str, str, str, str]:
        return (self.source, self.target, self.kind, repr(sorted(self.origin.items())))


@dataclass
class Graph:
    center: str
    depth: int
    max_nodes: int
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False
    dropped: int = 0
    notes: list[str] = field(default_factory=list)
    _edge_keys: set[tuple[str, str, str, str]] = field(default_factory=set, repr=False)

    def add_node(self, node: Node) -> bool:
        """Add (or keep) a node; ``False`` when the cap refused it."""
        if node.id in self.nodes:
            return True
        if len(self.nodes) >= self.max_nodes:
            self.truncated = True
            self.dropped += 1
            return False
        self.nodes[node.id] = node
        return True

    def add_edge(self, edge: Edge) -> None:
        if edge.source not in self.nodes or edge.target not in self.nodes:
            return
        if edge.key() in self._edge_keys:
            return
        self._edge_keys.add(edge.key())
        self.edges.append(edge)

    def neighbours(self, node_id: str) -> set[str]:
        out = {e.target for e in self.edges if e.source == node_id}
        return out | {e.source for e in self.edges if e.target == node_id}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings) for the API and the browser view."""
        return {
            "center": self.center,
            "depth": self.depth,
            "max_nodes": self.max_nodes,
            "truncated": self.truncated,
            "dropped": self.dropped,
            "notes": list(self.notes),
            "nodes": [
                {"id": n.id, "kind": n.kind, "label": n.label, "level": n.level,
                 "attrs": _jsonable(n.attrs)}
                for n in self.nodes.values()
            ],
            "edges": [
                {"source": e.source, "target": e.target, "kind": e.kind,
                 "start": _iso(e.start), "end": _iso(e.end), "origin": _jsonable(e.origin)}
                for e in self.edges
            ],
        }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


# -- canonical forms of the shared resources -----------------------------------------------


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def canonical(kind: str, value: Any) -> str | None:
    """The comparison key of a phone / e-mail / website (``None`` when unusable).

    Phones: ``+`` and digits, a Belgian national ``0…`` number as ``+32…``; e-mails: lower
    case without ``mailto:``; websites: the host without scheme, ``www.`` and path, None for a
    shared site's host (a social network's page, a job board: :data:`SHARED_PATH_HOSTS`).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if kind == "phone":
        digits = re.sub(r"[^\d+]", "", text.replace("(0)", ""))
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        elif digits.startswith("0"):
            digits = "+32" + digits[1:]
        elif not digits.startswith("+"):
            digits = "+" + digits
        return digits if len(digits) >= 9 and "+" not in digits[1:] else None
    if kind == "email":
        email = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE).lower()
        return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", email) else None
    if kind == "website":
        host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text.lower())
        host = re.split(r"[/?#:]", host, maxsplit=1)[0].strip(".")
        host = host[4:] if host.startswith("www.") else host
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host) or _shared_host(host):
            return None
        return host
    raise GraphError(f"unknown resource kind {kind!r}")


def seat_key(street: str | None, postcode: str | None) -> str | None:
    """``"1000|rue haute 12"`` — a seat is the same when postcode and folded street agree."""
    if not street or not postcode:
        return None
    folded = re.sub(r"[^\w]+", " ", _fold(street)).strip()
    return f"{postcode.strip()}|{folded}" if folded else None


@dataclass(frozen=True)
class Resource:
    """One phone / e-mail / website / seat of an employer and where it was read."""

    kind: str
    key: str
    label: str
    origin: dict[str, Any]


def _register_origin(employer: Employer) -> dict[str, Any]:
    if employer.capture_id is not None:
        return {"type": "register_page", "capture_id": employer.capture_id}
    return {"type": employer.origin or "register"}


def _record_origin(record: Record) -> dict[str, Any]:
    kind = {"job_ad": "ad", "listing": "listing", "website": "website",
            "gazette": "gazette", "register_entry": "register_page"}.get(record.kind, record.kind)
    return {"type": kind, "record_id": record.id,
            "capture_id": record.last_capture_id or record.capture_id}


def employer_own_resources(employer: Employer, addresses: Iterable[Address] = ()) -> list[Resource]:
    """The phone, e-mail, website and seat(s) the register gives for ``employer``."""
    origin = _register_origin(employer)
    found: list[Resource] = []
    for kind, value in (("phone", employer.phone), ("email", employer.email),
                        ("website", employer.website)):
        key = canonical(kind, value)
        if key:
            found.append(Resource(kind, key, str(value).strip(), origin))
    seats = [(employer.street, employer.postcode, employer.municipality)]
    seats += [(a.street, a.postcode, a.municipality) for a in addresses]
    for street, postcode, town in seats:
        key = seat_key(street, postcode)
        if key:
            label = f"{street}, {postcode} {town or ''}".strip()
            found.append(Resource("address", key, label, origin))
    return list({(r.kind, r.key): r for r in found}.values())


def record_resources(record: Record) -> list[Resource]:
    """The phones, e-mails and website a record (ad, listing, company site) shows."""
    norm = record.normalized or {}
    origin = _record_origin(record)
    values: list[tuple[str, Any]] = [("phone", record.phone), ("phone", norm.get("phone_e164"))]
    values += [("phone", p) for p in norm.get("phones") or []]
    values += [("email", e) for e in norm.get("emails") or []]
    values.append(("website", norm.get("website")))
    found: dict[tuple[str, str], Resource] = {}
    for kind, value in values:
        key = canonical(kind, value)
        if key and (kind, key) not in found:
            found[(kind, key)] = Resource(kind, key, str(value).strip(), origin)
    return list(found.values())


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values))
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def matched_records(
    session: Session, employer_ids: Iterable[int], limit: int | None = RECORDS_PER_EMPLOYER
) -> dict[int, list[Record]]:
    """Records firmly matched to each employer (outcome ``match``), minus those a human judged
    negative for that employer; newest first, at most ``limit`` per employer. The judgements
    and the limit are applied in SQL (a window over each employer's matches): an employer with
    thousands of matched ads costs ``limit`` records, not thousands."""
    out: dict[int, list[Record]] = {}
    judged_negative = (
        select(Judgement.id)
        .where(Judgement.record_fingerprint == Record.fingerprint,
               Judgement.employer_id == Match.employer_id, Judgement.verdict == "negative")
        .exists()
    )
    for ids in _chunks(employer_ids):
        rank = func.row_number().over(
            partition_by=Match.employer_id,
            order_by=(col(Record.last_seen).desc(), col(Record.id))).label("rank")
        ranked = (
            select(Match.employer_id, Record.id.label("record_id"), rank)  # type: ignore[union-attr]
            .join(Record, col(Record.id) == Match.record_id)
            .where(col(Match.employer_id).in_(ids), Match.outcome == "match", ~judged_negative)
            .subquery()
        )
        query = select(ranked.c.employer_id, ranked.c.record_id).order_by(
            ranked.c.employer_id, ranked.c.rank)
        if limit is not None:
            query = query.where(ranked.c.rank <= limit)
        pairs = session.exec(query).all()  # type: ignore[call-overload]
        wanted = sorted({int(r) for _, r in pairs})
        loaded: dict[int, Record] = {}
        for start in range(0, len(wanted), CHUNK):
            loaded.update((r.id, r) for r in session.exec(  # type: ignore[misc]
                select(Record).where(col(Record.id).in_(wanted[start:start + CHUNK]))))
        for employer_id, record_id in pairs:
            out.setdefault(int(employer_id), []).append(loaded[int(record_id)])
    return out


def employers_sharing(
    session: Session, kind: str, key: str, limit: int = EMPLOYERS_PER_CONNECTOR,
    records: list[tuple[Record, int]] | None = None,
    register: list[Employer] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Employers that use the resource ``(kind, key)``: ``(employer_id, origin)`` pairs, from
    the register and from matched records. ``records`` and ``register``: the matched records
    and the register's employers showing it, when the caller looked them up already for many
    resources (:func:`records_showing`, :func:`employers_showing`)."""
    found: dict[int, dict[str, Any]] = {}
    employers: list[Employer] = []
    if register is not None and kind != "address":
        employers = register
    elif kind == "phone":
        employers = list(session.exec(select(Employer).where(Employer.phone == key)
                                      .limit(limit)).all())
    elif kind == "email":
        employers = list(session.exec(select(Employer).where(
            func.lower(Employer.email) == key).limit(limit)).all())
    elif kind == "website":
        employers = [e for e in session.exec(select(Employer).where(
            col(Employer.website).contains(key)).limit(limit * 4)).all()
            if canonical("website", e.website) == key][:limit]
    elif kind == "address":
        postcode, street = key.split("|", 1)
        # A token of the street (the house number if any) narrows the postcode in SQL; the
        # folded comparison in Python decides.
        tokens = sorted(street.split(), key=lambda t: (not t.isdigit(), -len(t)))
        token = next((t for t in tokens if t.isascii()), "")
        employers = [e for e in session.exec(select(Employer).where(
            Employer.postcode == postcode, col(Employer.street).contains(token))).all()
            if seat_key(e.street, e.postcode) == key]
        for address in session.exec(select(Address).where(
                Address.postcode == postcode, col(Address.street).contains(token))).all():
            if seat_key(address.street, address.postcode) == key:
                employer = session.get(Employer, address.employer_id)
                if employer is not None:
                    employers.append(employer)
    for employer in employers[:limit]:
        assert employer.id is not None
        found.setdefault(employer.id, _register_origin(employer))
    if kind != "address" and len(found) < limit:
        shown = records if records is not None else _records_with(session, kind, key, limit)
        for record, employer_id in shown:
            found.setdefault(employer_id, _record_origin(record))
    return list(found.items())[:limit]


def employers_showing(
    session: Session, wanted: Iterable[tuple[str, str]], limit: int = EMPLOYERS_PER_CONNECTOR,
) -> dict[tuple[str, str], list[Employer]]:
    """The register's side of :func:`employers_sharing` for many phone, e-mail and website
    resources in one pass over the register: none of those columns is indexed, and a scan of
    a 100,000-employer register per resource made the carousel rule's close pass take minutes.
    Same tests as there (the phone as stored, the e-mail in lower case, the website's
    canonical host); the first ``limit`` employers by id for each resource."""
    keys = {(kind, key) for kind, key in wanted if kind in ("phone", "email", "website")}
    ids: dict[tuple[str, str], list[int]] = {k: [] for k in keys}
    if not keys:
        return {}
    phones = {key for kind, key in keys if kind == "phone"}
    emails = {key for kind, key in keys if kind == "email"}
    websites = {key for kind, key in keys if kind == "website"}
    last = 0
    while True:
        rows = session.exec(
            select(Employer.id, Employer.phone, Employer.email, Employer.website)
            .where(col(Employer.id) > last, or_(col(Employer.phone).is_not(None),
                                                col(Employer.email).is_not(None),
                                                col(Employer.website).is_not(None)))
            .order_by(col(Employer.id)).limit(CHUNK * 4)
        ).all()
        for employer_id, phone, email, website in rows:
            hits: list[tuple[str, str]] = []
            if phone in phones:
                hits.append(("phone", phone))
            if email and email.lower() in emails:
                hits.append(("email", email.lower()))
            if website and websites:
                host = canonical("website", website)
                if host in websites:
                    hits.append(("website", host))  # type: ignore[arg-type]
            for k in hits:
                if len(ids[k]) < limit:
                    ids[k].append(int(employer_id))
        if len(rows) < CHUNK * 4:
            break
        last = int(rows[-1][0])
    wanted_ids = sorted({i for found in ids.values() for i in found})
    loaded: dict[int, Employer] = {}
    for start in range(0, len(wanted_ids), CHUNK):
        chunk = wanted_ids[start:start + CHUNK]
        loaded.update((e.id, e) for e in session.exec(  # type: ignore[misc]
            select(Employer).where(col(Employer.id).in_(chunk))))
    return {k: [loaded[i] for i in found] for k, found in ids.items()}


def records_showing(
    session: Session, wanted: Iterable[tuple[str, str]], limit: int = EMPLOYERS_PER_CONNECTOR,
) -> dict[tuple[str, str], list[tuple[Record, int]]]:
    """:func:`_records_with` for many phone, e-mail and website resources in one pass over the
    matched records (one scan per resource is minutes on a 100,000-record crawl: neither the
    JSON text nor ``record.phone`` is indexed). Same tests: a phone is the record's ``phone``
    column, an e-mail or website is a string of the JSON text, and the record shows it; at
    most ``4 × limit`` candidate rows per resource, in record order. The JSON text's strings
    are read once per row and looked up, not searched for once per resource."""
    keys = {(kind, key) for kind, key in wanted if kind in ("phone", "email", "website")}
    out: dict[tuple[str, str], list[tuple[Record, int]]] = {k: [] for k in keys}
    if not keys:
        return out
    window = {k: 0 for k in keys}
    phones = {k[1]: k for k in keys if k[0] == "phone"}
    strings: dict[str, list[tuple[str, str]]] = {}  # JSON string value → its resources
    for k in keys:
        if k[0] != "phone":
            strings.setdefault(k[1], []).append(k)
    text = cast(Record.normalized, String)
    last = (0, 0)  # keyset: (record id, employer id) of the last row read
    while True:
        after = or_(col(Record.id) > last[0],
                    and_(col(Record.id) == last[0], col(Match.employer_id) > last[1]))
        rows = session.exec(
            select(Record.id, text, Match.employer_id, Record.phone)
            .join(Match, col(Match.record_id) == Record.id)
            .where(Match.outcome == "match", after)
            .order_by(col(Record.id), col(Match.employer_id)).limit(CHUNK * 4)
        ).all()
        if not rows:
            return out
        last = (int(rows[-1][0]), int(rows[-1][2]))
        hits: list[tuple[int, int, list[tuple[str, str]]]] = []
        for record_id, json_text, employer_id, phone in rows:
            values = set(_JSON_STRING.findall(json_text)) if json_text and strings else ()
            found = [k for v in values for k in strings.get(v, ()) if window[k] < 4 * limit]
            by_phone = phones.get(phone) if phone else None
            if by_phone is not None and window[by_phone] < 4 * limit:
                found.append(by_phone)
            for k in found:
                window[k] += 1
            if found:
                hits.append((int(record_id), int(employer_id), found))
        if hits:
            loaded = {r.id: r for r in session.exec(
                select(Record).where(col(Record.id).in_(sorted({h[0] for h in hits}))))}
            for record_id, employer_id, found in hits:
                record = loaded[record_id]
                shows = {(res.kind, res.key) for res in record_resources(record)}
                for k in found:
                    if k in shows:
                        out[k].append((record, employer_id))
        if len(rows) < CHUNK * 4:
            return out


def _records_with(session: Session, kind: str, key: str,
                  limit: int) -> list[tuple[Record, int]]:
    """(record, employer id) of matched records showing the resource."""
    if kind == "phone":
        condition = Record.phone == key
    else:  # the JSON text of ``normalized`` holds the value in quotes
        condition = cast(Record.normalized, String).contains(f'"{key}"')
    rows = session.exec(
        select(Record, Match.employer_id).join(Match, col(Match.record_id) == Record.id)
        .where(condition, Match.outcome == "match").limit(limit * 4)
    ).all()
    return [(r, int(e)) for r, e in rows
            if any(res.kind == kind and res.key == key for res in record_resources(r))]


# -- the builder ----------------------------------------------------------------------------


def _employer_node(employer: Employer, describe: Describe | None, level: int) -> Node:
    attrs: dict[str, Any] = {
        "enterprise_number": employer.enterprise_number,
        "status": employer.status,
        "juridical_situation": employer.juridical_situation,
        "juridical_situation_label": employer.juridical_situation_label,
        "juridical_situation_date": employer.juridical_situation_date,
        "start_date": employer.start_date,
        "onss_employer": employer.onss_employer,
        "district": employer.district,
        "employer_id": employer.id,
    }
    attrs.update(describe(employer) if describe is not None else {})
    return Node(f"employer:{employer.id}", "employer", employer.name, attrs, level)


def _role_origin(role: Role) -> dict[str, Any]:
    if role.source_record_id is not None:
        return {"type": "gazette", "record_id": role.source_record_id,
                "capture_id": role.capture_id}
    if role.capture_id is not None:
        return {"type": "register_page", "capture_id": role.capture_id}
    return {"type": "register"}


class _Builder:
    def __init__(self, session: Session, graph: Graph, describe: Describe | None) -> None:
        self.session = session
        self.graph = graph
        self.describe = describe
        self.queue: deque[tuple[int, int]] = deque()
        self.levels: dict[int, int] = {}
        self.expanded: set[int] = set()

    def enqueue(self, employer_id: int, level: int) -> bool:
        if employer_id in self.levels:
            return f"employer:{employer_id}" in self.graph.nodes
        employer = self.session.get(Employer, employer_id)
        if employer is None:
            return False
        if not self.graph.add_node(_employer_node(employer, self.describe, level)):
            return False
        self.levels[employer_id] = level
        self.queue.append((employer_id, level))
        return True

    def resource_node(self, res: Resource, level: int) -> str | None:
        node_id = f"{res.kind}:{res.key}"
        return node_id if self.graph.add_node(Node(node_id, res.kind, res.label, {}, level)) \
            else None

    def run(self) -> None:
        while self.queue:
            employer_id, level = self.queue.popleft()
            if level < self.graph.depth:
                self.expand(employer_id, level)
        self.close_links()

    def expand(self, employer_id: int, level: int) -> None:
        self.expanded.add(employer_id)
        session, graph = self.session, self.graph
        here = f"employer:{employer_id}"
        rows = session.exec(
            select(Role, Person).join(Person, col(Person.id) == Role.person_id)
            .where(Role.employer_id == employer_id).order_by(col(Role.id))).all()
        for role, person in rows:
            self.person_link(person, role, level)
            for other, other_role in self.roles_of(person):
                if other != employer_id and self.enqueue(other, level + 1):
                    graph.add_edge(_director_edge(person, other, other_role))
        employer = session.get(Employer, employer_id)
        assert employer is not None
        addresses = session.exec(select(Address).where(Address.employer_id == employer_id)).all()
        resources = [(r, here) for r in employer_own_resources(employer, addresses)]
        records = matched_records(session, [employer_id]).get(employer_id, [])
        for record in records:
            node_id = self.record_node(record, level)
            if node_id is None:
                continue
            graph.add_edge(Edge(node_id, here, "advertised_by", _day(record.first_seen),
                                _day(record.last_seen), _record_origin(record)))
            resources += [(r, here) for r in record_resources(record)]
            self.same_entity(record, node_id, level)
        for res, owner in resources:
            node_id = self.resource_node(res, level)
            if node_id is None:
                continue
            graph.add_edge(Edge(owner, node_id, EDGE_FOR[res.kind], origin=res.origin))
            for other, origin in employers_sharing(session, res.kind, res.key):
                if other != employer_id and self.enqueue(other, level + 1):
                    graph.add_edge(Edge(f"employer:{other}", node_id, EDGE_FOR[res.kind],
                                        origin=origin))

    def roles_of(self, person: Person) -> list[tuple[int, Role]]:
        rows = self.session.exec(select(Role).where(Role.person_id == person.id)
                                 .order_by(col(Role.id))).all()
        return [(r.employer_id, r) for r in rows]

    def person_link(self, person: Person, role: Role, level: int) -> None:
        node = Node(f"person:{person.id}", "person", person.name,
                    {"person_id": person.id, "key": person.key}, level)
        if self.graph.add_node(node):
            self.graph.add_edge(_director_edge(person, role.employer_id, role))

    def record_node(self, record: Record, level: int) -> str | None:
        label = record.title or record.employer_name or f"{record.kind} #{record.id}"
        node = Node(f"record:{record.id}", "record", label, {
            "record_id": record.id, "record_kind": record.kind, "source": record.source,
            "capture_id": record.last_capture_id or record.capture_id,
            "first_seen": record.first_seen, "last_seen": record.last_seen}, level)
        return node.id if self.graph.add_node(node) else None

    def same_entity(self, record: Record, node_id: str, level: int) -> None:
        """Other members of the record's clusters, and the employers they are matched to."""
        mine = self.session.exec(select(ClusterMember).where(
            ClusterMember.record_id == record.id)).all()
        for member in mine:
            others = self.session.exec(
                select(ClusterMember, Record)
                .join(Record, col(Record.id) == ClusterMember.record_id)
                .where(ClusterMember.cluster_id == member.cluster_id,
                       ClusterMember.record_id != record.id)
                .order_by(col(ClusterMember.score).desc()).limit(RECORDS_PER_EMPLOYER)).all()
            for other_member, other in others:
                other_id = self.record_node(other, level)
                if other_id is None:
                    continue
                self.graph.add_edge(Edge(node_id, other_id, "same_entity", origin={
                    "type": "cluster", "cluster_id": member.cluster_id,
                    "reason": other_member.reason, "score": other_member.score}))
                for match in self.session.exec(select(Match).where(
                        Match.record_id == other.id, Match.outcome == "match")).all():
                    if self.enqueue(match.employer_id, level + 1):
                        self.graph.add_edge(Edge(other_id, f"employer:{match.employer_id}",
                                                 "advertised_by", _day(other.first_seen),
                                                 _day(other.last_seen), _record_origin(other)))

    def close_links(self) -> None:
        """Draw the links of the enterprises left unexpanded to persons and resources that
        are already on the graph (no new nodes)."""
        rest = [i for i in self.levels if i not in self.expanded]
        if not rest:
            return
        person_ids = {n.attrs["person_id"] for n in self.graph.nodes.values()
                      if n.kind == "person"}
        for ids in _chunks(rest):
            for role, person in self.session.exec(
                    select(Role, Person).join(Person, col(Person.id) == Role.person_id)
                    .where(col(Role.employer_id).in_(ids))).all():
                if person.id in person_ids:
                    self.graph.add_edge(_director_edge(person, role.employer_id, role))
            for employer in self.session.exec(select(Employer).where(
                    col(Employer.id).in_(ids))).all():
                for res in employer_own_resources(employer):
                    node_id = f"{res.kind}:{res.key}"
                    if node_id in self.graph.nodes:
                        self.graph.add_edge(Edge(f"employer:{employer.id}", node_id,
                                                 EDGE_FOR[res.kind], origin=res.origin))


def _director_edge(person: Person, employer_id: int, role: Role) -> Edge:
    origin = _role_origin(role) | {"function": role.function}
    return Edge(f"person:{person.id}", f"employer:{employer_id}", "director_of",
                role.start_date, role.end_date, origin)


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _count_signals(session: Session, graph: Graph) -> None:
    employer_ids = [n.attrs["employer_id"] for n in graph.nodes.values() if n.kind == "employer"]
    counts: dict[int, int] = {}
    for ids in _chunks(employer_ids):
        for employer_id, count in session.exec(
                select(Signal.employer_id, func.count()).where(
                    col(Signal.employer_id).in_(ids)).group_by(Signal.employer_id)).all():
            counts[int(employer_id)] = int(count)
    keys = {n.attrs["key"]: n for n in graph.nodes.values() if n.kind == "person"}
    person_counts: dict[str, int] = {}
    for chunk in _chunks(keys):
        for key, count in session.exec(
                select(Signal.subject_key, func.count()).where(
                    Signal.subject_type == "person", col(Signal.subject_key).in_(chunk))
                .group_by(Signal.subject_key)).all():
            person_counts[str(key)] = int(count)
    for node in graph.nodes.values():
        if node.kind == "employer":
            node.attrs["signal_count"] = counts.get(node.attrs["employer_id"], 0)
        elif node.kind == "person":
            node.attrs["signal_count"] = person_counts.get(node.attrs["key"], 0)


def build_graph(
    session: Session,
    *,
    employer_id: int | None = None,
    person_id: int | None = None,
    depth: int = 2,
    max_nodes: int = DEFAULT_MAX_NODES,
    describe: Describe | None = None,
) -> Graph:
    """The neighbourhood of one enterprise or one person (exactly one of the two ids).

    Raises :class:`~storage.queries.NotFoundError` for an unknown id and :class:`GraphError`
    for a bad request. ``describe(employer)`` adds attributes to enterprise nodes (e.g.
    ``bankrupt``, ``struck_off``).
    """
    if (employer_id is None) == (person_id is None):
        raise GraphError("give exactly one of employer or person")
    if not 1 <= depth <= MAX_DEPTH:
        raise GraphError(f"depth must be between 1 and {MAX_DEPTH}")
    if not 2 <= max_nodes <= 1000:
        raise GraphError("max_nodes must be between 2 and 1000")
    if employer_id is not None:
        if session.get(Employer, employer_id) is None:
            raise NotFoundError(f"employer {employer_id} not found")
        graph = Graph(f"employer:{employer_id}", depth, max_nodes)
        builder = _Builder(session, graph, describe)
        builder.enqueue(employer_id, 0)
    else:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"person {person_id} not found")
        graph = Graph(f"person:{person_id}", depth, max_nodes)
        builder = _Builder(session, graph, describe)
        graph.add_node(Node(graph.center, "person", person.name,
                            {"person_id": person.id, "key": person.key}, 0))
        for other, role in builder.roles_of(person):
            if builder.enqueue(other, 0):
                graph.add_edge(_director_edge(person, other, role))
    builder.run()
    _count_signals(session, graph)
    if graph.truncated:
        graph.notes.append(
            f"Truncated: the graph reached its cap of {max_nodes} nodes; {graph.dropped} more "
            "node(s) were not shown. Reduce the depth or open a node's own network.")
    return graph
