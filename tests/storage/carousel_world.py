"""A stored bankruptcy carousel shared by the graph, carousel and network-view tests.

Three enterprises of one director, Jan Peeters: Bouw Alpha BV (bankrupt 2022-03-01, struck
off), Bouw Beta BV (bankrupt 2023-09-15), Bouw Gamma BV (active, started 2023-10-02, recruiting
through a job ad). Alpha's register phone is the phone of Gamma's job ad. Delta SRL shares
Gamma's seat (and nothing else). Beta's function of Jan Peeters came from a Gazette publication.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session

from storage.models import Capture, Employer, Match, Person, Record, Role

PHONE = "+3221234567"
SEAT = ("Rue de la Loi 16", "1000", "Bruxelles")


@dataclass(frozen=True)
class Carousel:
    alpha: int
    beta: int
    gamma: int
    delta: int
    boss: int
    ad: int
    ad_capture: int
    gazette: int


def _capture(session: Session, url: str, n: int) -> Capture:
    cap = Capture(url=url, final_url=url, status=200, content_type="text/html",
                  fetched_at=datetime(2025, 3, 1, 10, n, tzinfo=UTC),
                  sha256=hashlib.sha256(url.encode()).hexdigest(), length=1000,
                  warc_file="captures-0001.warc.gz", warc_offset=n * 1000, warc_length=900)
    session.add(cap)
    session.flush()
    return cap


def _employer(session: Session, n: int, number: str, name: str, **kw: object) -> Employer:
    url = f"http://127.0.0.1:8000/kbopub/toonondernemingps.html?ondernemingsnummer={number}"
    cap = _capture(session, url, n)
    fields: dict[str, object] = {"status": "AC", "juridical_situation": "000",
                                 "juridical_situation_label": "Situation normale",
                                 "district": "brussels", "postcode": "1000",
                                 "origin": "registry_page", "capture_id": cap.id}
    fields.update(kw)
    emp = Employer(enterprise_number=number, name=name, **fields)
    session.add(emp)
    session.flush()
    session.add(Record(kind="register_entry", source="kbo", url=url, capture_id=cap.id,
                       fingerprint=f"kbo-{number}", title=name, employer_name=name,
                       enterprise_number=number))
    session.flush()
    return emp


def build_carousel(session: Session, gamma_name: str = "Bouw Gamma BV",
                   boss_name: str = "Jan Peeters") -> Carousel:
    """Store the carousel (flushes, does not commit)."""
    alpha = _employer(session, 1, "0456789012", "Bouw Alpha BV", status="ST",
                      juridical_situation="050",
                      juridical_situation_label="Ouverture de faillite",
                      juridical_situation_date=date(2022, 3, 1), start_date=date(2018, 5, 1),
                      phone=PHONE)
    beta = _employer(session, 2, "0403170701", "Bouw Beta BV", juridical_situation="050",
                     juridical_situation_label="Ouverture de faillite",
                     juridical_situation_date=date(2023, 9, 15), start_date=date(2021, 6, 1))
    gamma = _employer(session, 3, "0200065765", gamma_name, start_date=date(2023, 10, 2),
                      street=SEAT[0], postcode=SEAT[1], municipality=SEAT[2])
    delta = _employer(session, 4, "0200171970", "Delta SRL", start_date=date(2010, 1, 1),
                      street="rue de la loi, 16", postcode=SEAT[1], municipality=SEAT[2])
    boss = Person(name=boss_name, key="peeters jan")
    session.add(boss)
    session.flush()
    gazette_cap = _capture(session, "http://127.0.0.1:8000/cgi_tsv/list.pl?btw=0403170701", 5)
    gazette = Record(kind="gazette", source="gazette", url=gazette_cap.url,
                     capture_id=gazette_cap.id, fingerprint="gazette-1",
                     title="Bouw Beta BV: nominations", enterprise_number="0403170701")
    session.add(gazette)
    session.flush()
    session.add_all([
        Role(person_id=boss.id, employer_id=alpha.id, function="Gérant",
             start_date=date(2018, 5, 1), end_date=date(2022, 2, 1), capture_id=alpha.capture_id),
        Role(person_id=boss.id, employer_id=beta.id, function="Administrateur",
             start_date=date(2021, 6, 1), capture_id=gazette_cap.id,
             source_record_id=gazette.id),
        Role(person_id=boss.id, employer_id=gamma.id, function="Administrateur",
             start_date=date(2023, 10, 2), capture_id=gamma.capture_id),
    ])
    ad_cap = _capture(session, "http://127.0.0.1:8000/jobs/ad/7", 6)
    ad = Record(kind="job_ad", source="demo_jobs", url=ad_cap.url, capture_id=ad_cap.id,
                fingerprint="ad-7", title="Metselaar gezocht", employer_name=gamma_name,
                phone=PHONE, normalized={"phone_e164": PHONE},
                first_seen=datetime(2024, 1, 5, tzinfo=UTC),
                last_seen=datetime(2024, 2, 5, tzinfo=UTC))
    session.add(ad)
    session.flush()
    session.add(Match(record_id=ad.id, employer_id=gamma.id, score=0.95, method="name",
                      outcome="match", matcher_version="test"))
    session.flush()
    return Carousel(alpha.id, beta.id, gamma.id, delta.id, boss.id, ad.id, ad_cap.id,
                    gazette.id)
