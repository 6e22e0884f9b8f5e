"""A stored world on which every network rule fires, with noise around it, for the test that
pins the close-time pass (:func:`signals.engine.detect_network`).

What fires: the carousel of :mod:`tests.storage.carousel_world` (director and shared phone);
an ad and a company site using a bankrupt enterprise's phone / e-mail (register and Gazette
bankruptcies, one successor); a new enterprise with four early ads, two of them one cluster,
one judged negative; a letterbox seat of seven enterprises (streets spelled differently, one
through an :class:`~storage.models.Address` row, one struck off) with two advertisers; a
reposted ad. Around it: sixty ordinary employers and forty ordinary ads, matched, possibly
matched and unmatched, that must stay silent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from storage.models import Address
from tests.signals.conftest import World
from tests.storage.carousel_world import build_carousel

BANKRUPT = {"juridical_situation": "050", "juridical_situation_label": "Ouverture de faillite",
            "juridical_situation_date": date(2024, 9, 3)}


def number(i: int) -> str:
    """A valid enterprise number (mod-97 check) that no other fixture uses."""
    base = 3_000_000 + i * 131
    return f"{base:08d}{97 - base % 97:02d}"


def build_network_world(session: Session) -> None:
    """Store the world (flushes, does not commit)."""
    build_carousel(session)
    w = World(session)
    w._n = 100  # captures of the carousel fixture use 1..~20
    _noise(w)
    _shared_contacts(w)
    _recent_enterprise(w)
    _letterbox(w, session)
    _reposts(w)


def _noise(w: World) -> None:
    firms = [w.employer(number(i), f"Ordinaire {i} SRL", street=f"Rue du Commerce {i}",
                        postcode=str(1000 + 10 * (i % 7)), municipality="Bruxelles",
                        start_date=date(2005 + i % 15, 1 + i % 12, 1), page=i % 3 == 0,
                        phone=f"+32220000{i:02d}", email=f"info@ordinaire{i}.be",
                        website=f"https://www.ordinaire{i}.be/")
             for i in range(60)]
    for i in range(40):
        ad = w.ad(f"Emploi ordinaire {i}", employer_name=f"Ordinaire {i % 60}",
                  raw={"date_posted": f"2025-0{1 + i % 9}-1{i % 10}"},
                  normalized={"phone_e164": f"+32479{i:06d}"})
        if i % 4 != 3:
            w.match(ad, firms[i % 60], score=0.9 if i % 4 else 1.0,
                    outcome="possible" if i % 4 == 2 else "match", method="name+postcode")


def _shared_contacts(w: World) -> None:
    old = w.employer(number(100), "Toiture Lambert SRL", phone="+3223151351",
                     email="info@lambert-toitures.be", status="AC", **BANKRUPT)
    new = w.employer(number(101), "Lambert Roofing SRL", start_date=date(2024, 10, 1))
    ad = w.ad("Couvreur", employer_name="Lambert Roofing",
              normalized={"phone_e164": "+3223151351", "emails": ["jobs@lambert-roofing.be"]})
    w.match(ad, new)
    own = w.ad("Couvreur (h/f)", employer_name="Toiture Lambert",
               normalized={"emails": ["info@lambert-toitures.be"]})
    w.match(own, old)
    plain = w.ad("Aide couvreur", raw={"employer_url": "https://www.lambert-toitures.be/jobs"},
                 phone="+3223151351")
    assert plain.id
    w.employer(number(102), "Nettoyage Rapide SRL", email="contact@nettoyage-rapide.be")
    w.gazette(number(102), "Nettoyage Rapide", ["bankruptcy"], "2025-01-20")
    w.gazette(number(103), "Autre SRL", ["appointment"], "2025-01-21")
    w.website("proprete-express.be", "Propreté Express", {
        "has_enterprise_number": False, "emails": ["contact@nettoyage-rapide.be"]})
    for i, n in enumerate((104, 105, 106, 107)):  # an accountant's line: ignored
        w.employer(number(n), f"Client {i} SRL", phone="+3225551234", **BANKRUPT)
    w.ad("Comptable", normalized={"phone_e164": "+3225551234"})


def _recent_enterprise(w: World) -> None:
    emp = w.employer(number(110), "Bati Neuf SRL", start_date=date(2025, 1, 10),
                     nace_codes=["43.341"], onss_employer=False)
    ads = []
    for i, day in enumerate(["2025-02-01", "2025-02-02", "2025-03-15", "2025-04-01",
                             "2025-06-30", "2026-03-01"]):
        ad = w.ad(f"Ouvrier {i}", raw={"date_posted": day})
        w.match(ad, emp, method="vat" if i % 2 else "enterprise_number")
        ads.append(ad)
    w.cluster(ads[:2], "Ouvrier")
    w.judge(ads[3], emp, "negative")
    quiet = w.employer(number(111), "Bati Ancien SRL", start_date=date(2010, 1, 10))
    for i, day in enumerate(["2025-02-01", "2025-03-15", "2025-06-30"]):
        w.match(w.ad(f"Maçon {i}", raw={"date_posted": day}), quiet)
    two = w.employer(number(112), "Bati Deux SRL", start_date=date(2025, 1, 1))
    for i, day in enumerate(["2025-02-01", "2025-03-15"]):
        w.match(w.ad(f"Carreleur {i}", raw={"date_posted": day}), two)
    judged = w.employer(number(113), "Bati Jugé SRL", start_date=date(2025, 1, 1))
    other = w.employer(number(114), "Bati Autre SRL", start_date=date(2025, 1, 2))
    for i, day in enumerate(["2025-02-01", "2025-03-15", "2025-04-15"]):
        ad = w.ad(f"Plafonneur {i}", raw={"date_posted": day})
        w.match(ad, other, score=0.95)
        w.match(ad, judged, score=0.6, outcome="possible")
        if i < 2:
            w.judge(ad, judged, "positive")


def _letterbox(w: World, session: Session) -> None:
    streets = ["Avenue Louise 54", "AVENUE LOUISE 54, bte 3", "Avenue Louise 54 boîte 12",
               "Avenue Louise, 54", "avenue louise 54", "Avenue Louise 54 bus 7",
               "Avenue Louise 54"]
    firms = []
    for i, street in enumerate(streets):
        extra = {"status": "ST"} if i == 6 else {}
        firms.append(w.employer(number(120 + i), f"Domicilié {i} SRL", street=street,
                                postcode="1050", municipality="Ixelles",
                                onss_employer=i != 0, nace_codes=["81.210"] if i == 2 else [],
                                **extra))
    moved = w.employer(number(130), "Ailleurs SRL", street="Rue Neuve 1", postcode="1000",
                       page=False)
    session.add(Address(employer_id=moved.id, kind="seat", street="Av. Louise 54",
                        postcode="1050", municipality="Ixelles"))
    session.add(Address(employer_id=moved.id, kind="seat", street="Avenue Louise 54 bte 9",
                        postcode="1050", municipality="Ixelles"))
    session.flush()
    for i in (0, 2):
        ad = w.ad(f"Nettoyeur {i}", employer_name=f"Domicilié {i}")
        w.match(ad, firms[i])
    w.match(w.ad("Site", kind="listing"), moved)
    small = [w.employer(number(140 + i), f"Petit {i} SRL", street="Rue Haute 1",
                        postcode="1000") for i in range(4)]
    w.match(w.ad("Vendeur"), small[0])


def _reposts(w: World) -> None:
    ads = [w.ad("Plongeur H/F", raw={"date_posted": d}, employer_name="Resto Kebab")
           for d in ("2025-01-05", "2025-01-20", "2025-02-10", "2025-03-30", "2025-04-02")]
    w.cluster(ads, "Plongeur H/F")
    copies = [w.ad("Chauffeur C", raw={"date_posted": d})
              for d in ("2025-01-05", "2025-01-06", "2025-01-08")]
    w.cluster(copies, "Chauffeur C")
    dated = [w.ad("Aide-ménagère", first_seen=datetime(2025, m, 1, tzinfo=UTC))
             for m in (1, 3, 5)]
    w.cluster(dated, "Aide-ménagère")
