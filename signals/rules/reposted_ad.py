"""Rule ``reposted_ad`` (network) — a job ad that keeps being published again over weeks.

Risk served (MISSION.md, risk 4 "Economic exploitation" and risk 2 "fictitious employers"): an
employer that must re-advertise the same job again and again has a very high turnover — workers
leave as soon as they can — or the ad is bait (recruiting for exploitation, collecting
documents) rather than a real vacancy. Reposting also defeats board limits on ad age.

Data needed: the entity clusters of job ads (:class:`~storage.models.EntityCluster` /
:class:`~storage.models.ClusterMember` of kind ``job_ad``, built by ``vigie cluster``: the same
ad across boards and reposts, each link with its reason) and each member's posting date
(``raw["date_posted"]``, else ``Record.first_seen``).

Why it fires: a cluster of at least :data:`MIN_POSTINGS` job ads with at least
:data:`MIN_POSTINGS` distinct posting dates spread over :data:`MIN_SPAN_DAYS` days or more.
Copies of one ad on several boards within a few days are not reposts (they share dates).
Severity: **low**; **medium** from :data:`MANY_POSTINGS` postings over
:data:`LONG_SPAN_DAYS` days. One signal per cluster (subject: its first record).

Known false positives: large employers with permanent openings (retail chains, temp agencies,
hospitals) that repost on purpose; seasonal jobs advertised every year; a board that refreshes
its dates automatically; clustering errors (two different jobs of one employer with near-equal
texts — the cluster page shows the reason of every link).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session, col, func, select

from signals.base import EvidenceRef, Finding
from signals.rules.recent_enterprise_many_ads import posting_date
from storage.clusters import has_cluster_tables
from storage.models import ClusterMember, EntityCluster, Record

RULE = "reposted_ad"
SEVERITY = "low"
VERSION = "1"
DESCRIPTION = (
    "The same job ad published again and again over weeks (very high turnover or bait ad)."
)
RISK = "4. Economic exploitation (turnover); 2. Fictitious employers (bait ads)"

MIN_POSTINGS = 3
MIN_SPAN_DAYS = 21
MANY_POSTINGS = 5
LONG_SPAN_DAYS = 60
CLUSTER_CHUNK = 200  # clusters read per query


def _big_clusters(session: Session) -> list[int]:
    """The job-ad clusters with at least :data:`MIN_POSTINGS` members (counted in SQL)."""
    return list(session.exec(
        select(ClusterMember.cluster_id)
        .join(Record, col(Record.id) == col(ClusterMember.record_id))
        .where(ClusterMember.kind == "job_ad")
        .group_by(col(ClusterMember.cluster_id))
        .having(func.count() >= MIN_POSTINGS)
        .order_by(col(ClusterMember.cluster_id))
    ).all())


def evaluate_network(session: Session) -> list[Finding]:
    """Only the clusters big enough to fire are read, a chunk of clusters at a time."""
    if not has_cluster_tables(session):
        return []
    big = _big_clusters(session)
    findings: list[Finding] = []
    for start in range(0, len(big), CLUSTER_CHUNK):
        rows = session.exec(
            select(ClusterMember, Record)
            .join(Record, col(Record.id) == col(ClusterMember.record_id))
            .where(ClusterMember.kind == "job_ad",
                   col(ClusterMember.cluster_id).in_(big[start:start + CLUSTER_CHUNK]))
            .order_by(col(ClusterMember.cluster_id), col(Record.id))
        ).all()
        members: dict[int, list[tuple[ClusterMember, Record]]] = defaultdict(list)
        for member, record in rows:
            members[member.cluster_id].append((member, record))
        for cluster_id, items in members.items():
            if len(items) < MIN_POSTINGS:
                continue
            dated = [(posting_date(r), m, r) for m, r in items]
            days = sorted({d for d, _, _ in dated if d is not None})
            if len(days) < MIN_POSTINGS or (days[-1] - days[0]).days < MIN_SPAN_DAYS:
                continue
            cluster = session.get(EntityCluster, cluster_id)
            findings.append(_finding(cluster, dated, days))
    return findings


def _finding(cluster: EntityCluster | None, dated, days: list[date]) -> Finding:  # type: ignore[no-untyped-def]
    # By day, then URL: the same postings give the same wording whatever order a crawl
    # stored them in.
    dated.sort(key=lambda item: (item[0] or date.max, item[2].url or "", item[2].id or 0))
    span = (days[-1] - days[0]).days
    severity = "medium" if len(days) >= MANY_POSTINGS and span >= LONG_SPAN_DAYS else "low"
    first = dated[0][2]
    anchor = min((r for _, _, r in dated), key=lambda r: r.id or 0)  # stable subject
    employers = sorted({r.employer_name for _, _, r in dated if r.employer_name})
    listing = "; ".join(
        f"{d.isoformat() if d else 'undated'} on {r.source} ({r.url}; {m.reason})"
        for d, m, r in dated[:12])
    more = f" and {len(dated) - 12} more" if len(dated) > 12 else ""
    label = cluster.label if cluster is not None else (first.title or first.url)
    rationale = (
        f'The job ad "{label}"' + (f" by {', '.join(employers)}" if employers else "")
        + f" was published {len(dated)} times on {len(days)} different dates over {span} days "
        f"(from {days[0].isoformat()} to {days[-1].isoformat()}): {listing}{more}. "
        "The postings were grouped as one ad by the clustering (reasons quoted). An ad "
        "re-published for weeks points to very high turnover or a bait ad: check the "
        "employer's hires and departures (Dimona in/out)."
    )
    evidence: list[EvidenceRef] = [(r.id, r.last_capture_id or r.capture_id) for _, _, r in dated]
    facts = {
        "cluster_id": cluster.id if cluster is not None else None,
        "cluster_key": cluster.key if cluster is not None else None,
        "label": label,
        "postings": len(dated),
        "distinct_dates": len(days),
        "span_days": span,
        "first_date": days[0],
        "last_date": days[-1],
        "employers": employers,
        "sources": sorted({r.source for _, _, r in dated}),
        "records": [{"record_id": r.id, "url": r.url, "date": d, "source": r.source}
                    for d, _, r in dated],
    }
    return Finding(
        rule=RULE,
        severity=severity,
        title=f'Job ad reposted {len(days)} times over {span} days — "{label[:70]}"',
        rationale=rationale,
        subject_type="record",
        subject_key=anchor.fingerprint,
        district=first.district,
        facts=facts,
        evidence=evidence,
        discriminator="cluster",
        version=VERSION,
    )
