"""A small builder of stored worlds (captures, records, employers, matches, people, roles) on
the real migrated SQLite database of the ``engine`` fixture."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.models import (
    Capture,
    ClusterMember,
    Employer,
    EntityCluster,
    Judgement,
    Match,
    Person,
    Record,
    Role,
)


class World:
    """Adds rows with realistic defaults and flushes so every row has its id."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def capture(self, url: str, fetched_at: datetime | None = None) -> Capture:
        n = self._next()
        cap = Capture(
            url=url,
            final_url=url,
            status=200,
            content_type="text/html; charset=utf-8",
            fetched_at=fetched_at or datetime(2025, 3, 1, 10, n % 60, tzinfo=UTC),
            sha256=hashlib.sha256(f"{url}#{n}".encode()).hexdigest(),
            length=1000 + n,
            warc_file="captures-0001.warc.gz",
            warc_offset=n * 1000,
            warc_length=900,
        )
        self.session.add(cap)
        self.session.flush()
        return cap

    def employer(self, number: str, name: str, **kw: Any) -> Employer:
        page = kw.pop("page", True)
        if page and "capture_id" not in kw:
            url = (
                "http://127.0.0.1:8000/kbopub/toonondernemingps.html?lang=fr&ondernemingsnummer="
                + number
            )
            kw["capture_id"] = self.capture(url).id
            kw.setdefault("origin", "registry_page")
        defaults: dict[str, Any] = {
            "status": "AC",
            "juridical_situation": "000",
            "juridical_situation_label": "Situation normale",
            "onss_employer": True,
            "district": "brussels",
            "postcode": "1000",
        }
        defaults.update(kw)
        emp = Employer(enterprise_number=number, name=name, **defaults)
        self.session.add(emp)
        self.session.flush()
        if page:
            self.register_record(emp)
        return emp

    def register_record(self, employer: Employer) -> Record:
        rec = Record(
            kind="register_entry",
            source="kbo",
            url=f"http://127.0.0.1:8000/kbopub/toonondernemingps.html?lang=fr&ondernemingsnummer="
            f"{employer.enterprise_number}",
            capture_id=employer.capture_id,
            fingerprint=f"kbo-{employer.enterprise_number}",
            title=employer.name,
            employer_name=employer.name,
            enterprise_number=employer.enterprise_number,
        )
        self.session.add(rec)
        self.session.flush()
        return rec

    def ad(
        self,
        title: str,
        *,
        kind: str = "job_ad",
        description: str = "",
        employer_name: str | None = None,
        raw: dict[str, Any] | None = None,
        normalized: dict[str, Any] | None = None,
        fingerprint: str | None = None,
        **kw: Any,
    ) -> Record:
        n = self._next()
        path = "jobs/ad" if kind == "job_ad" else "classifieds/listing"
        url = f"http://127.0.0.1:8000/{path}/{n}"
        cap = self.capture(url)
        fields = {"title": title, "description": description}
        if employer_name:
            fields["employer_name" if kind == "job_ad" else "provider_name"] = employer_name
        fields.update(raw or {})
        norm = {"text": f"{title}\n{description}", "country": "BE", "postcode": "1000",
                "municipality": "Bruxelles", "district": "brussels"}
        norm.update(normalized or {})
        rec = Record(
            kind=kind,
            source="demo_jobs" if kind == "job_ad" else "demo_classifieds",
            url=url,
            capture_id=cap.id,
            fingerprint=fingerprint or f"fp-{n}",
            title=title,
            employer_name=employer_name,
            raw=fields,
            normalized=norm,
            postcode=norm.get("postcode"),
            district=norm.get("district"),
            country=norm.get("country"),
            **kw,
        )
        self.session.add(rec)
        self.session.flush()
        return rec

    def recapture(self, record: Record) -> Capture:
        """The same record seen again in a new capture (what the pipeline does on a re-crawl)."""
        cap = self.capture(record.url)
        record.last_capture_id = cap.id
        record.seen_count += 1
        self.session.add(record)
        self.session.flush()
        return cap

    def match(
        self, record: Record, employer: Employer, *, method: str = "enterprise_number",
        score: float = 1.0, outcome: str = "match",
    ) -> Match:
        m = Match(record_id=record.id, employer_id=employer.id, score=score, method=method,
                  outcome=outcome, explanation=[{"name": method, "score": score}],
                  matcher_version="test")
        self.session.add(m)
        self.session.flush()
        return m

    def website(self, domain: str, name: str | None, normalized: dict[str, Any]) -> Record:
        """A company site as the websites spider + pipeline store it (kind ``website``)."""
        n = self._next()
        url = f"https://www.{domain}/"
        cap = self.capture(url)
        norm = {"website": domain, **normalized}
        rec = Record(kind="website", source="websites", url=url, capture_id=cap.id,
                     fingerprint=f"site-{domain}", title=name, employer_name=name,
                     enterprise_number=norm.get("enterprise_number"), raw={"domain": domain,
                     "pages_seen": 3, "employer_name": name}, normalized=norm,
                     postcode=norm.get("postcode"), district=norm.get("district"),
                     country=norm.get("country"), phone=norm.get("phone_e164"))
        self.session.add(rec)
        self.session.flush()
        assert n
        return rec

    def gazette(self, number: str, name: str, rubric_codes: list[str], published: str) -> Record:
        """An Official Gazette publication about enterprise ``number``."""
        url = f"http://127.0.0.1:8000/gazette/list?btw={number}#{published}"
        cap = self.capture(url)
        rec = Record(kind="gazette", source="gazette", url=url, capture_id=cap.id,
                     fingerprint=f"gaz-{number}-{published}", title=name, employer_name=name,
                     enterprise_number=number,
                     normalized={"rubric_codes": rubric_codes, "rubric_code": rubric_codes[0],
                                 "publication_date": published, "enterprise_number": number})
        self.session.add(rec)
        self.session.flush()
        return rec

    def cluster(self, records: list[Record], label: str) -> EntityCluster:
        """A same-ad cluster of ``records`` (as ``vigie cluster`` writes it)."""
        first = min(r.id or 0 for r in records)
        cluster = EntityCluster(key=f"job_ad:{first}", kind="job_ad", label=label,
                                algorithm_version="test", member_count=len(records),
                                sources=sorted({r.source for r in records}))
        self.session.add(cluster)
        self.session.flush()
        for r in records:
            self.session.add(ClusterMember(cluster_id=cluster.id, record_id=r.id, kind="job_ad",
                                           score=0.93, reason="same title and description",
                                           linked_to=first))
        self.session.flush()
        return cluster

    def judge(self, record: Record, employer: Employer, verdict: str) -> Judgement:
        j = Judgement(record_fingerprint=record.fingerprint, employer_id=employer.id,
                      employer_number=employer.enterprise_number, verdict=verdict,
                      user="reviewer1")
        self.session.add(j)
        self.session.flush()
        return j

    def person(self, name: str) -> Person:
        p = Person(name=name, key=name.lower().replace(" ", "-"))
        self.session.add(p)
        self.session.flush()
        return p

    def role(
        self, person: Person, employer: Employer, function: str = "Gérant",
        start: date | None = None, end: date | None = None,
    ) -> Role:
        r = Role(person_id=person.id, employer_id=employer.id, function=function,
                 start_date=start, end_date=end, capture_id=employer.capture_id)
        self.session.add(r)
        self.session.flush()
        return r


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


@pytest.fixture
def world(session: Session) -> World:
    return World(session)
