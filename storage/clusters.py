"""The cluster tables: rewrite them from a fresh clustering, and read "the same entity
elsewhere" for the records behind a signal.

Only :class:`EntityCluster` and :class:`ClusterMember` are ever written here; records are
read, never changed. A rewrite is a diff on the cluster's stable ``key``: an unchanged cluster
keeps its row, its id and its ``updated_at``, so rebuilding twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session, col, delete, select

from storage import StorageError
from storage.models import ClusterMember, EntityCluster, Record, utcnow


class ClusterTablesMissing(StorageError):
    """The database predates the cluster tables (run ``vigie db upgrade``)."""


@dataclass(frozen=True)
class MemberRow:
    record_id: int
    score: float
    reason: str
    linked_to: int | None = None
    links: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ClusterRow:
    key: str
    kind: str
    label: str
    algorithm_version: str
    sources: list[str]
    members: list[MemberRow]


@dataclass(frozen=True)
class WriteStats:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


def has_cluster_tables(session: Session) -> bool:
    bind = session.get_bind()
    insp = inspect(bind)
    return bool(insp.has_table(EntityCluster.__tablename__)
                and insp.has_table(ClusterMember.__tablename__))


def require_cluster_tables(session: Session) -> None:
    if not has_cluster_tables(session):
        raise ClusterTablesMissing(
            "the database has no cluster tables (entitycluster, clustermember): "
            "upgrade its schema with `vigie db upgrade`"
        )


def _member_tuple(m: MemberRow | ClusterMember) -> tuple[Any, ...]:
    return (m.record_id, round(float(m.score), 6), m.reason, m.linked_to, m.links)


def replace_clusters(
    session: Session, rows: list[ClusterRow], kinds: tuple[str, ...]
) -> WriteStats:
    """Make the stored clusters of ``kinds`` exactly ``rows`` (the caller commits)."""
    require_cluster_tables(session)
    existing = {c.key: c for c in session.exec(
        select(EntityCluster).where(col(EntityCluster.kind).in_(kinds)))}
    members: dict[int, list[ClusterMember]] = defaultdict(list)
    if existing:
        for m in session.exec(select(ClusterMember).where(
                col(ClusterMember.kind).in_(kinds)).order_by(col(ClusterMember.record_id))):
            members[m.cluster_id].append(m)
    wanted = {row.key: row for row in rows}
    created = updated = deleted = unchanged = 0
    stale_ids: list[int] = []
    changed: list[tuple[EntityCluster, ClusterRow]] = []
    for key, cluster in existing.items():
        row = wanted.get(key)
        assert cluster.id is not None
        if row is None:
            stale_ids.append(cluster.id)
            continue
        same = (cluster.label == row.label and cluster.algorithm_version == row.algorithm_version
                and list(cluster.sources or []) == row.sources
                and [_member_tuple(m) for m in members[cluster.id]]
                == [_member_tuple(m) for m in sorted(row.members, key=lambda m: m.record_id)])
        if same:
            unchanged += 1
        else:
            stale_ids.append(cluster.id)
            changed.append((cluster, row))
    # Members first (a record may move between clusters: (kind, record_id) is unique).
    if stale_ids:
        session.exec(delete(ClusterMember).where(col(ClusterMember.cluster_id).in_(stale_ids)))
        gone = [i for i in stale_ids if i not in {c.id for c, _ in changed}]
        if gone:
            session.exec(delete(EntityCluster).where(col(EntityCluster.id).in_(gone)))
            deleted = len(gone)
        session.flush()
    now = utcnow()
    for cluster, row in changed:
        cluster.label, cluster.algorithm_version = row.label, row.algorithm_version
        cluster.sources, cluster.member_count = row.sources, len(row.members)
        cluster.updated_at = now
        session.add(cluster)
        _add_members(session, cluster, row)
        updated += 1
    for key in sorted(set(wanted) - set(existing)):
        row = wanted[key]
        cluster = EntityCluster(key=row.key, kind=row.kind, label=row.label,
                                algorithm_version=row.algorithm_version, sources=row.sources,
                                member_count=len(row.members), created_at=now, updated_at=now)
        session.add(cluster)
        session.flush()
        _add_members(session, cluster, row)
        created += 1
    session.flush()
    return WriteStats(created, updated, deleted, unchanged)


def _add_members(session: Session, cluster: EntityCluster, row: ClusterRow) -> None:
    assert cluster.id is not None
    for m in sorted(row.members, key=lambda m: m.record_id):
        session.add(ClusterMember(cluster_id=cluster.id, record_id=m.record_id, kind=row.kind,
                                  score=m.score, reason=m.reason, linked_to=m.linked_to,
                                  links=m.links))


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SameEntityOther:
    """Another member of the cluster: the record, how it is linked, and whether that link
    is direct (with the record behind the signal) or through another member."""

    record: Record
    score: float
    reason: str
    direct: bool
    linked_to: int | None


@dataclass(frozen=True)
class SameEntityGroup:
    record_id: int
    cluster: EntityCluster
    others: list[SameEntityOther]


def same_entity(session: Session, record_ids: list[int], limit: int = 50) -> list[SameEntityGroup]:
    """For each record, the other members of its clusters (at most ``limit`` per cluster,
    strongest link first). Empty when the database has no cluster tables yet."""
    ids = sorted({i for i in record_ids if i is not None})
    if not ids or not has_cluster_tables(session):
        return []
    own = session.exec(select(ClusterMember).where(col(ClusterMember.record_id).in_(ids))
                       .order_by(col(ClusterMember.record_id), col(ClusterMember.kind))).all()
    groups: list[SameEntityGroup] = []
    for mine in own:
        cluster = session.get(EntityCluster, mine.cluster_id)
        if cluster is None:
            continue
        rows = session.exec(
            select(ClusterMember, Record)
            .join(Record, col(Record.id) == col(ClusterMember.record_id))
            .where(ClusterMember.cluster_id == mine.cluster_id,
                   ClusterMember.record_id != mine.record_id)
        ).all()
        others: list[SameEntityOther] = []
        for member, record in rows:
            direct = next((ln for ln in mine.links if mine.record_id in (ln.get("a"), ln.get("b"))
                           and member.record_id in (ln.get("a"), ln.get("b"))), None)
            if direct is not None:
                others.append(SameEntityOther(record, float(direct["score"]),
                                              str(direct["reason"]), True, mine.record_id))
            else:
                others.append(SameEntityOther(record, member.score, member.reason, False,
                                              member.linked_to))
        others.sort(key=lambda o: (-o.score, o.record.id or 0))
        groups.append(SameEntityGroup(mine.record_id, cluster, others[:limit]))
    return groups
