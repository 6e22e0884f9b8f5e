"""Rebuild the entity clusters from the stored job ads and listings.

Reads every ``job_ad`` and ``listing`` Record (the raw fields as seen and the normalised ones),
clusters them with :mod:`entity_resolution.cluster` and rewrites only the cluster tables.
Records are read, never modified: the evidence stays as it was captured. Running it twice on
the same records changes nothing (same clusters, same ids, same timestamps).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from entity_resolution.cluster import (
    KINDS,
    VERSION,
    CappedIdentifier,
    Cluster,
    ClusterItem,
    ClusterOptions,
    cluster_records,
)
from storage.clusters import ClusterRow, MemberRow, WriteStats, replace_clusters
from storage.clusters import require_cluster_tables as _require_tables
from storage.db import session_scope
from storage.models import Record

# A member keeps its strongest direct links (a provider's first listing may anchor hundreds);
# the page falls back to the member's own best link when a direct one is not kept.
MAX_STORED_LINKS = 50


@dataclass(frozen=True)
class ClusterReport:
    """What a rebuild did: counts per kind, the identifiers left out as shared lines, and the
    biggest clusters (for the CLI table)."""

    algorithm_version: str
    records: dict[str, int]
    clusters: dict[str, int]
    clustered_records: dict[str, int]
    written: WriteStats
    capped: list[CappedIdentifier]
    largest: list[Cluster]
    seconds: float
    stats: dict[str, int] = field(default_factory=dict)


def _strings(*values: Any) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            out += [str(v) for v in value if v]
        elif value:
            out.append(str(value))
    return tuple(dict.fromkeys(out))


def item_of(record: Record) -> ClusterItem:
    """The clustering view of a stored record (raw fields as seen + normalised identifiers)."""
    raw: dict[str, Any] = record.raw or {}
    norm: dict[str, Any] = record.normalized or {}
    assert record.id is not None
    date = raw.get("date_posted") or (record.first_seen.date().isoformat()
                                      if record.first_seen else None)
    return ClusterItem(
        key=record.id,
        kind=record.kind,
        source=record.source or "",
        title=raw.get("title") or record.title,
        description=raw.get("description"),
        name=record.employer_name,
        enterprise_number=record.enterprise_number,
        vat=norm.get("vat") or record.vat_number,
        phones=_strings(record.phone, norm.get("phone_e164")),
        emails=_strings(norm.get("emails")),
        websites=_strings(raw.get("employer_url"), raw.get("website")),
        postcode=record.postcode or (str(raw["postcode"]) if raw.get("postcode") else None),
        locality=raw.get("locality"),
        country=record.country,
        date=str(date) if date else None,
        url=record.url,
    )


def _records(session: Session) -> Iterator[Record]:
    statement = (select(Record).where(col(Record.kind).in_(KINDS))
                 .order_by(col(Record.id)).execution_options(yield_per=2000))
    yield from session.exec(statement)


def _row(cluster: Cluster) -> ClusterRow:
    members = [
        MemberRow(
            record_id=int(m.key), score=round(m.score, 4), reason=m.reason,
            linked_to=int(m.linked_to),
            links=[{"a": ln.a, "b": ln.b, "score": ln.score, "method": ln.method,
                    "reason": ln.reason} for ln in m.links[:MAX_STORED_LINKS]],
        )
        for m in cluster.members
    ]
    return ClusterRow(key=cluster.id, kind=cluster.kind, label=cluster.label[:300],
                      algorithm_version=VERSION, sources=list(cluster.sources), members=members)


def rebuild_clusters(engine: Engine, options: ClusterOptions | None = None,
                     largest: int = 10) -> ClusterReport:
    """Cluster all job ads and listings and rewrite the cluster tables (one transaction).
    Raises ``storage.clusters.ClusterTablesMissing`` on a database without them."""
    started = time.perf_counter()
    with Session(engine) as session:
        _require_tables(session)
        items = [item_of(record) for record in _records(session)]
    result = cluster_records(items, options)
    with session_scope(engine) as session:
        written = replace_clusters(session, [_row(c) for c in result.clusters], KINDS)
    biggest = sorted(result.clusters, key=lambda c: (-len(c.members), c.kind, c.id))[:largest]
    return ClusterReport(
        algorithm_version=result.version,
        records={k: result.stats.get(f"{k}_records", 0) for k in KINDS},
        clusters={k: result.stats.get(f"{k}_clusters", 0) for k in KINDS},
        clustered_records={k: result.stats.get(f"{k}_clustered_records", 0) for k in KINDS},
        written=written,
        capped=list(result.capped),
        largest=biggest,
        seconds=round(time.perf_counter() - started, 3),
        stats=result.stats,
    )
