"""Retention: records and captures older than their source's retention period, and cited by
nothing, are deleted — rows and archived bytes.

What is kept whatever its age (it is evidence of something):

- records behind a signal (``SignalEvidence.record_id``) or grounding a director's role
  (``Role.source_record_id``) — and so everything a dossier cites, since dossiers cite signals;
- captures cited by a signal, by a kept record (first or last capture), by a register employer
  or by a role.

A record is old when its ``last_seen`` is before the cutoff of its source; a capture when its
``fetched_at`` is, the source being the spider of its crawl run. Purged records take their
machine matches and cluster memberships with them (human judgements stay: they are keyed by
fingerprint and say nothing about the page).

Archived bytes: a WARC file none of whose captures is kept is deleted; a file with some kept
captures is *compacted* — the kept records are copied byte for byte (their own gzip members,
so every SHA-256 still verifies) into a new file, synced, the capture rows re-pointed in one
transaction, and only then the old file removed. A crash before the commit leaves the old file
in use; a crash after it leaves an unreferenced old file that the next run deletes. Screenshots
(content-addressed) go when no kept capture uses them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from storage.audit import append_event
from storage.models import (
    Capture,
    ClusterMember,
    CrawlRun,
    Employer,
    EntityCluster,
    Match,
    Record,
    Role,
    SignalEvidence,
)

BATCH = 500


@dataclass
class PurgeReport:
    now: datetime
    policies: dict[str, int]
    dry_run: bool
    records: Counter[str] = field(default_factory=Counter)  # per source
    captures: Counter[str] = field(default_factory=Counter)
    kept_cited_records: int = 0
    warc_files_deleted: int = 0
    warc_files_compacted: int = 0
    screenshots_deleted: int = 0
    bytes_freed: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "policies": self.policies, "dry_run": self.dry_run,
                "records": dict(self.records), "captures": dict(self.captures),
                "kept_cited_records": self.kept_cited_records,
                "warc_files_deleted": self.warc_files_deleted,
                "warc_files_compacted": self.warc_files_compacted,
                "screenshots_deleted": self.screenshots_deleted,
                "bytes_freed": self.bytes_freed}


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), BATCH):
        yield ids[i:i + BATCH]


def _cited_record_ids(session: Session) -> set[int]:
    cited = {r for r in session.exec(select(SignalEvidence.record_id)).all() if r is not None}
    cited |= {r for r in session.exec(select(Role.source_record_id)).all() if r is not None}
    return cited


def _kept_capture_ids(session: Session) -> set[int]:
    kept: set[int] = set()
    for column in (SignalEvidence.capture_id, Employer.capture_id, Role.capture_id,
                   Record.capture_id, Record.last_capture_id):
        kept |= {c for c in session.exec(select(column)).all() if c is not None}
    return kept


def purge(session: Session, evidence_dir: Path, policies: dict[str, int], user: str,
          now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Apply the retention ``policies`` (source name → days). Sources without a policy are
    left alone. Audited as ``retention.purge``; commits."""
    now = now or datetime.now(UTC)
    report = PurgeReport(now, dict(policies), dry_run)
    cited = _cited_record_ids(session)
    doomed_records: list[int] = []
    for source, days in sorted(policies.items()):
        cutoff = now - timedelta(days=days)
        rows = session.exec(select(Record.id).where(Record.source == source,
                                                    Record.last_seen < cutoff)).all()
        kept = [r for r in rows if r in cited]
        report.kept_cited_records += len(kept)
        gone = [r for r in rows if r not in cited]
        report.records[source] += len(gone)
        doomed_records += gone
    # Deleted in the session in both modes: a dry run rolls everything back at the end, so
    # its counts are exactly what a real run would remove.
    for chunk in _chunks(doomed_records):
        session.exec(delete(Match).where(Match.record_id.in_(chunk)))
        session.exec(delete(ClusterMember).where(ClusterMember.record_id.in_(chunk)))
        session.exec(delete(Record).where(Record.id.in_(chunk)))
    _drop_small_clusters(session)
    session.flush()
    kept_captures = _kept_capture_ids(session)
    doomed_captures: list[Capture] = []
    for source, days in sorted(policies.items()):
        cutoff = now - timedelta(days=days)
        rows = session.exec(select(Capture).join(CrawlRun, Capture.run_id == CrawlRun.id)
                            .where(CrawlRun.spider == source, Capture.fetched_at < cutoff)).all()
        for capture in rows:
            if capture.id not in kept_captures:
                doomed_captures.append(capture)
                report.captures[source] += 1
    if dry_run:
        session.rollback()
        return report
    doomed_ids = [c.id for c in doomed_captures]
    files = sorted({c.warc_file for c in doomed_captures})
    shots = {c.screenshot_path for c in doomed_captures if c.screenshot_path}
    for chunk in _chunks(doomed_ids):
        session.exec(delete(Capture).where(Capture.id.in_(chunk)))
    session.flush()
    _rewrite_files(session, Path(evidence_dir), files, report)
    for rel in sorted(shots):
        in_use = session.exec(select(func.count()).select_from(Capture).where(
            Capture.screenshot_path == rel)).one()
        if not in_use:
            path = Path(evidence_dir) / rel
            if path.exists():
                report.bytes_freed += path.stat().st_size
                path.unlink()
                report.screenshots_deleted += 1
    append_event(session, user, "retention.purge", "evidence", report.as_dict())
    session.commit()
    return report


def _drop_small_clusters(session: Session) -> None:
    """Clusters left with fewer than two members are no clusters any more."""
    counts = dict(session.exec(select(ClusterMember.cluster_id, func.count())
                               .group_by(ClusterMember.cluster_id)).all())
    for cluster in session.exec(select(EntityCluster)).all():
        left = int(counts.get(cluster.id, 0))
        if left < 2:
            session.exec(delete(ClusterMember).where(ClusterMember.cluster_id == cluster.id))
            session.delete(cluster)
        elif left != cluster.member_count:
            cluster.member_count = left
            session.add(cluster)


def _rewrite_files(session: Session, root: Path, files: list[str], report: PurgeReport) -> None:
    """Delete or compact the WARC files that lost captures (see the module docstring)."""
    to_unlink: list[Path] = []
    for rel in files:
        path = root / rel
        kept = session.exec(select(Capture).where(Capture.warc_file == rel)
                            .order_by(Capture.warc_offset)).all()
        if not path.exists():
            continue
        size = path.stat().st_size
        if not kept:
            to_unlink.append(path)
            report.warc_files_deleted += 1
            report.bytes_freed += size
            continue
        new_rel = rel.replace(".warc.gz", f"-kept{datetime.now(UTC):%Y%m%dT%H%M%S%f}.warc.gz")
        new_path = root / new_rel
        offset = 0
        with open(path, "rb") as src, open(new_path, "wb") as dst:
            moves: list[tuple[int, int]] = []
            for capture in kept:
                src.seek(capture.warc_offset)
                data = src.read(capture.warc_length)
                dst.write(data)
                moves.append((capture.id, offset))
                offset += len(data)
            dst.flush()
            os.fsync(dst.fileno())
        for capture_id, new_offset in moves:
            session.exec(update(Capture).where(Capture.id == capture_id)
                         .values(warc_file=new_rel, warc_offset=new_offset))
        to_unlink.append(path)
        report.warc_files_compacted += 1
        report.bytes_freed += max(0, size - offset)
    session.flush()
    session.commit()  # the rows point at the new files before any old file goes
    for path in to_unlink:
        path.unlink(missing_ok=True)
