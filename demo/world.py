"""The demo world: a compact register (employers, persons) plus ads and listings made on demand.

``build_world(seed, size)`` draws the register, the foreign firms, the unknown businesses and a
*plan* that pins the fraud cases to a few ad/listing ids. Everything else about an ad or listing
is derived lazily from ``random.Random(derive_seed(seed, size, kind, id))``, so 100,000 ads cost
no memory until they are asked for.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

from demo import DemoError
from demo.model import (
    TODAY,
    DemoAd,
    DemoAddress,
    DemoCarousel,
    DemoEmployer,
    DemoForeignFirm,
    DemoFunction,
    DemoListing,
    DemoPerson,
    DemoUnknownEmployer,
    GroundTruth,
)
from demo.numbers import (
    belgian_phone,
    enterprise_number,
    foreign_vat,
    is_valid_enterprise_number,
    rng_for,
)
from demo.places import Place, pick_place, place_language, places_by_region
from demo.vocab import (
    FIRST_NAMES_FR,
    FIRST_NAMES_NL,
    FIRST_NAMES_OTHER,
    FOREIGN_CITIES,
    FOREIGN_FIRM_NAMES,
    HIGH_RISK_KEYS,
    LAST_NAMES_FR,
    LAST_NAMES_NL,
    LAST_NAMES_OTHER,
    LEGAL_FORM_WEIGHTS,
    PLACE_WORDS,
    SECTORS,
    SECTORS_BY_KEY,
    STREETS_BRUSSELS,
    STREETS_FR,
    STREETS_NL,
)

MIN_DOMICILED = 12
"""Firms seated at the demo's letterbox address: above the ``domiciliation`` rule's "many"."""

ONSS_ROLES_FR = ("Administrateur", "Gérant", "Personne déléguée à la gestion journalière")


@dataclass(frozen=True)
class PlanEntry:
    """A pinned ad/listing: who posts it, whether it is exploitative, whether it shows a number."""

    poster_key: str
    exploitation: bool
    show_number: bool | None = None


class World:
    """The register and the lazily generated ads and listings of one (seed, size)."""

    def __init__(self, seed: int, size: int) -> None:
        self.seed = seed
        self.size = size
        self.n_ads = size
        self.n_listings = max(1, size // 3)
        self.employers: list[DemoEmployer] = []
        self.persons: list[DemoPerson] = []
        self.foreign_firms: list[DemoForeignFirm] = []
        self.unknown_employers: list[DemoUnknownEmployer] = []
        self.carousels: list[DemoCarousel] = []
        self.letterbox: list[str] = []  # enterprise numbers seated at one domiciliation address
        self.young: list[str] = []  # enterprise numbers started within a year, posting ads
        self._by_number: dict[str, DemoEmployer] = {}
        self._ad_plan: dict[int, PlanEntry] = {}
        self._listing_plan: dict[int, PlanEntry] = {}
        self._pools: dict[str, tuple[list[str], list[float]]] = {}
        self.ad = lru_cache(maxsize=4096)(self._make_ad)
        self.listing = lru_cache(maxsize=4096)(self._make_listing)

    # -- lookups ---------------------------------------------------------------------------
    def employer(self, number: str) -> DemoEmployer | None:
        return self._by_number.get(number)

    def person(self, person_id: int) -> DemoPerson:
        return self.persons[person_id]

    def poster(self, key: str) -> DemoEmployer | DemoForeignFirm | DemoUnknownEmployer:
        kind, _, ident = key.partition(":")
        if kind == "E":
            return self._by_number[ident]
        if kind == "F":
            return self.foreign_firms[int(ident)]
        if kind == "U":
            return self.unknown_employers[int(ident)]
        raise DemoError(f"unknown poster key {key!r}")

    @property
    def register_numbers(self) -> list[str]:
        """Enterprise numbers in the order of the register list pages."""
        return [e.enterprise_number for e in self.employers]

    def plan_entry(self, kind: str, ident: int) -> PlanEntry | None:
        return (self._ad_plan if kind == "ad" else self._listing_plan).get(ident)

    def pick_poster(self, pool: str, rng: random.Random) -> str:
        keys, cumulative = self._pools[pool]
        x = rng.random() * cumulative[-1]
        return keys[bisect.bisect_right(cumulative, x)]

    # -- lazily generated pages ------------------------------------------------------------
    def _make_ad(self, ad_id: int) -> DemoAd:
        if not 0 <= ad_id < self.n_ads:
            raise DemoError(f"no ad {ad_id} in a world of {self.n_ads} ads")
        from demo.ads import make_ad

        return make_ad(self, ad_id)

    def _make_listing(self, listing_id: int) -> DemoListing:
        if not 0 <= listing_id < self.n_listings:
            raise DemoError(f"no listing {listing_id} in a world of {self.n_listings} listings")
        from demo.listings import make_listing

        return make_listing(self, listing_id)

    def ground_truth(self) -> GroundTruth:
        """Walk every ad and listing (cheap at demo sizes) and count what a crawl should find."""
        gt = GroundTruth(ads=self.n_ads, listings=self.n_listings, employers=len(self.employers))
        non_onss_posting: set[str] = set()
        for i in range(self.n_ads):
            ad = self.ad(i)
            gt.ads_by_kind[ad.kind_of_poster] = gt.ads_by_kind.get(ad.kind_of_poster, 0) + 1
            gt.ads_by_language[ad.language] = gt.ads_by_language.get(ad.language, 0) + 1
            gt.ads_by_form[ad.form] = gt.ads_by_form.get(ad.form, 0) + 1
            gt.exploitation_ads += ad.exploitation
            gt.foreign_posts += ad.kind_of_poster == "foreign"
            if ad.employer_number:
                emp = self._by_number[ad.employer_number]
                gt.inactive_posts += emp.inactive
                if not emp.onss_employer and not emp.inactive:
                    non_onss_posting.add(emp.enterprise_number)
        for i in range(self.n_listings):
            lst = self.listing(i)
            gt.exploitation_listings += lst.exploitation
            gt.foreign_posts += lst.kind_of_poster == "foreign"
            if lst.employer_number:
                gt.inactive_posts += self._by_number[lst.employer_number].inactive
        gt.non_onss_employers_posting = len(non_onss_posting)
        gt.carousels = len(self.carousels)
        return gt


# -- building --------------------------------------------------------------------------------
def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _date_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return end
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())[:24] or "firma"


class _Builder:
    def __init__(self, seed: int, size: int) -> None:
        self.world = World(seed, size)
        self.rng = rng_for(seed, size, "world")
        self.used_numbers: set[str] = set()
        self.used_names: set[str] = set()

    # persons ----------------------------------------------------------------------------
    def new_person(self, language: str) -> DemoPerson:
        r = self.rng.random()
        if r < 0.15:
            first, last = self.rng.choice(FIRST_NAMES_OTHER), self.rng.choice(LAST_NAMES_OTHER)
        elif language == "nl":
            first, last = self.rng.choice(FIRST_NAMES_NL), self.rng.choice(LAST_NAMES_NL)
        else:
            first, last = self.rng.choice(FIRST_NAMES_FR), self.rng.choice(LAST_NAMES_FR)
        person = DemoPerson(len(self.world.persons), first, last)
        self.world.persons.append(person)
        return person

    # numbers ----------------------------------------------------------------------------
    def new_number(self, start: date) -> str:
        year = start.year
        if year < 1995:
            low, high = 4_000_000, 4_799_999
        elif year < 2003:
            low, high = 4_500_000, 4_899_999
        elif year < 2010:
            low, high = 8_000_000, 8_999_999
        elif year < 2016:
            low, high = 5_000_000, 5_999_999
        elif year < 2023:
            low, high = 6_000_000, 7_999_999
        else:
            low, high = 10_000_000, 10_099_999
        while True:
            number = enterprise_number(self.rng.randint(low, high))
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def new_establishment_number(self) -> str:
        while True:
            number = enterprise_number(self.rng.randint(20_000_000, 22_999_999))
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    # names and addresses ------------------------------------------------------------------
    def new_address(self, place: Place) -> DemoAddress:
        number = str(self.rng.randint(1, 250))
        if self.rng.random() < 0.1:
            number += self.rng.choice("ABC")
        box = str(self.rng.randint(1, 12)) if self.rng.random() < 0.12 else ""
        if place.region == "brussels":
            fr, nl = self.rng.choice(STREETS_BRUSSELS)
        elif place.region == "wallonia":
            fr = nl = self.rng.choice(STREETS_FR)
        else:
            fr = nl = self.rng.choice(STREETS_NL)
        return DemoAddress(fr, nl, number, box, place.postcode, place.municipality_fr,
                           place.municipality_nl)

    def firm_name(self, sector_key: str, language: str, place: Place) -> str:
        sector = SECTORS_BY_KEY[sector_key]
        patterns = sector.names_nl if language == "nl" else sector.names_fr
        lasts = LAST_NAMES_NL if language == "nl" else LAST_NAMES_FR
        name = ""
        for attempt in range(6):
            name = self.rng.choice(patterns).format(
                last=self.rng.choice(lasts + LAST_NAMES_OTHER[:5]),
                place=place.municipality(language),
                word=self.rng.choice(PLACE_WORDS),
            )
            if attempt >= 3:  # crowded name space: firms add their town, as they do
                name = f"{name} {place.municipality(language)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        name = f"{name} {len(self.used_names)}"
        self.used_names.add(name)
        return name

    def pick_sector(self, risky: bool) -> str:
        if risky and self.rng.random() < 0.85:
            return self.rng.choice(HIGH_RISK_KEYS)
        return self.rng.choice(SECTORS).key

    # employers ----------------------------------------------------------------------------
    def new_employer(self, profile: str, start: date, *, risky: bool,
                     sector: str | None = None, directors: list[DemoPerson] | None = None,
                     carousel_id: int | None = None) -> DemoEmployer:
        rng = self.rng
        place = pick_place(rng)
        language = place_language(place, rng)
        sector_key = sector or self.pick_sector(risky)
        nace_all = SECTORS_BY_KEY[sector_key].nace
        nace = tuple(rng.sample(nace_all, k=rng.randint(1, len(nace_all))))
        legal_form = rng.choices([k for k, _ in LEGAL_FORM_WEIGHTS],
                                 [w for _, w in LEGAL_FORM_WEIGHTS])[0]
        if legal_form == "BVBA" and start.year >= 2019:
            legal_form = "BV"  # no new BVBA after the Companies Code of 2019
        if legal_form == "BV" and start.year < 2019 and rng.random() < 0.5:
            legal_form = "BVBA"
        form_since = start
        if legal_form in ("BV", "CV") and start < date(2019, 5, 1):
            form_since = _date_between(rng, date(2019, 5, 1), date(2024, 12, 31))  # converted
        name = self.firm_name(sector_key, language, place)
        abbreviation = None
        if rng.random() < 0.12:
            initials = "".join(w[0] for w in name.split() if w[0].isalpha()).upper()
            abbreviation = initials if len(initials) >= 2 else None
        number = self.new_number(start)
        people = directors or [self.new_person(language)
                               for _ in range(1 if rng.random() < 0.6 else 2)]
        role = "Gérant" if legal_form in ("BVBA", "VOF", "CommV") else "Administrateur"
        functions = [DemoFunction(p.id, role if i == 0 else rng.choice(ONSS_ROLES_FR),
                                  start if i == 0 else _date_between(rng, start, TODAY))
                     for i, p in enumerate(people)]
        onss = profile != "non_onss" and not (profile == "carousel_new" and rng.random() < 0.5)
        onss_since = _date_between(rng, start, min(TODAY, start + timedelta(days=900))) \
            if onss else None
        status, situation, situation_date = "AC", "000", start
        struck_reason = struck_date = None
        if profile in ("bankrupt", "carousel_old"):
            situation = "050"
            situation_date = _date_between(rng, start + timedelta(days=700), TODAY)
        elif profile == "stopped":
            status, situation = "ST", "052"
            situation_date = _date_between(rng, start + timedelta(days=1500), TODAY)
        elif profile == "liquidation":
            situation = "012"
            situation_date = _date_between(rng, date(2024, 1, 1), TODAY)
        elif profile == "struck_off":
            struck_reason = "Radiation pour non-respect des obligations UBO"
            struck_date = _date_between(rng, date(2023, 6, 1), TODAY)
        slug = _slug(name)
        employer = DemoEmployer(
            enterprise_number=number, name=name, abbreviation=abbreviation, language=language,
            legal_form=legal_form, legal_form_since=form_since, address=self.new_address(place),
            address_since=_date_between(rng, start, TODAY), status=status,
            juridical_situation=situation, juridical_situation_date=situation_date,
            start_date=start, onss_employer=onss, onss_since=onss_since,
            vat_since=start if rng.random() < 0.95 else None, sector=sector_key, nace=nace,
            phone=belgian_phone(rng) if rng.random() < 0.5 else None,
            email=f"info@{slug}.be" if rng.random() < 0.4 else None,
            website=f"www.{slug}.be" if rng.random() < 0.3 else None,
            directors=functions, establishment_number=self.new_establishment_number(),
            profile=profile, struck_off_reason=struck_reason, struck_off_date=struck_date,
            carousel_id=carousel_id,
        )
        self.world.employers.append(employer)
        self.world._by_number[number] = employer
        return employer

    def build_register(self) -> None:
        size = self.world.size
        n_register = _clamp(size // 4, 40, 6000)
        n_carousels = _clamp(size // 75, 3, 300)
        n_non_onss = _clamp(size // 50, 4, 600)
        n_bankrupt = _clamp(size // 100, 3, 300)
        n_stopped = _clamp(size // 150, 2, 200)
        n_liquidation = _clamp(size // 150, 2, 200)
        n_struck = _clamp(size // 150, 2, 200)
        rng = self.rng
        for cid in range(n_carousels):
            language = rng.choice(("fr", "nl"))
            boss = self.new_person(language)
            sector = rng.choice(HIGH_RISK_KEYS)
            length = (3, 2, 4, 3)[cid % 4]  # chains of every length from the smallest world on
            first = _date_between(rng, date(2011, 1, 1), date(2016, 12, 31))
            numbers = []
            for j in range(length):
                start = first + timedelta(days=int(j * rng.uniform(700, 1000)))
                last = j == length - 1
                profile = "carousel_new" if last else "carousel_old"
                people = [boss] if rng.random() < 0.6 else [boss, self.new_person(language)]
                employer = self.new_employer(profile, start, risky=True, sector=sector,
                                             directors=people, carousel_id=cid)
                if not last and j == 0 and length > 2:
                    employer.status, employer.juridical_situation = "ST", "052"
                numbers.append(employer.enterprise_number)
            self.world.carousels.append(DemoCarousel(cid, boss.id, tuple(numbers)))
        for profile, count in (("non_onss", n_non_onss), ("bankrupt", n_bankrupt),
                               ("stopped", n_stopped), ("liquidation", n_liquidation),
                               ("struck_off", n_struck)):
            latest = date(2016, 12, 31) if profile == "stopped" else date(2021, 12, 31)
            for _ in range(count):
                start = _date_between(rng, date(2005, 1, 1), latest)
                self.new_employer(profile, start, risky=True)
        shared: list[DemoPerson] = []
        while len(self.world.employers) < n_register:
            start = _date_between(rng, date(1985, 1, 1), date(2024, 6, 30))
            directors = None
            if shared and rng.random() < 0.08:
                directors = [rng.choice(shared)]  # one person, two healthy firms: no carousel
            employer = self.new_employer("clean", start, risky=rng.random() < 0.4,
                                         directors=directors)
            shared.append(self.world.persons[employer.directors[0].person_id])
        order = list(range(len(self.world.employers)))
        rng.shuffle(order)
        self.world.employers = [self.world.employers[i] for i in order]

    def build_scenarios(self) -> None:
        """A letterbox address and young firms that hire at once (rules ``domiciliation`` and
        ``recent_enterprise_many_ads``).

        Drawn from their own random stream and appended after the shuffled register, so every
        employer, ad and listing the main stream draws stays what it was before they existed.
        """
        main_rng, self.rng = self.rng, random.Random(f"vigie-demo-scenarios-{self.world.seed}")
        try:
            size, rng = self.world.size, self.rng
            # One business-centre address: the seat of a dozen active firms, each in its own box.
            seat = self.new_address(pick_place(rng))
            n_domiciled = _clamp(size // 25, MIN_DOMICILED, 40)
            for i in range(n_domiciled):
                start = _date_between(rng, date(2018, 1, 1), date(2024, 6, 30))
                employer = self.new_employer("letterbox", start, risky=True)
                employer.address = replace(seat, box=str(i + 1))
                employer.website = None  # the company sites stay those of the main register
                self.world.letterbox.append(employer.enterprise_number)
            # Firms less than a year old (the demo's today is 2025-09-15) posting several ads.
            for _ in range(_clamp(size // 100, 2, 50)):
                start = _date_between(rng, date(2025, 1, 6), date(2025, 6, 30))
                employer = self.new_employer("young", start, risky=True)
                employer.website = None
                self.world.young.append(employer.enterprise_number)
        finally:
            self.rng = main_rng

    def build_others(self) -> None:
        rng, size = self.rng, self.world.size
        n_foreign = _clamp(size // 40, 4, 500)
        countries = ("PL", "RO", "BG", "PT")
        for i in range(n_foreign):
            country = countries[i % 4]
            city, postcode = rng.choice(FOREIGN_CITIES[country])
            names = FOREIGN_FIRM_NAMES[country]
            name = names[(i // 4) % len(names)]
            if i >= 4 * len(names):
                name = f"{name.split()[0]} {i} {' '.join(name.split()[1:])}"
            prefix = {"PL": "+48", "RO": "+40", "BG": "+359", "PT": "+351"}[country]
            self.world.foreign_firms.append(DemoForeignFirm(
                key=f"F:{i}", name=name, country=country, vat=foreign_vat(country, rng),
                street=rng.choice(("ul. Marszałkowska", "Strada Mihai Eminescu", "ul. Vitosha",
                                   "Rua Augusta", "ul. Długa", "Bulevardul Unirii"))
                + f" {rng.randint(1, 120)}",
                postcode=postcode, city=city,
                phone=f"{prefix} {rng.randint(100, 999)} {rng.randint(100, 999)} "
                      f"{rng.randint(100, 999)}",
                sector=rng.choice(("construction", "construction", "cleaning", "transport")),
            ))
        n_unknown = _clamp(size // 10, 8, 5000)
        for i in range(n_unknown):
            place = pick_place(rng)
            language = place_language(place, rng)
            sector = self.pick_sector(risky=rng.random() < 0.7)
            claimed = None
            if rng.random() < 0.3:
                while True:
                    claimed = enterprise_number(rng.randint(6_000_000, 7_999_999))
                    if claimed not in self.used_numbers:
                        self.used_numbers.add(claimed)
                        break
            self.world.unknown_employers.append(DemoUnknownEmployer(
                key=f"U:{i}", name=self.firm_name(sector, language, place), sector=sector,
                language=language, postcode=place.postcode,
                municipality=place.municipality(language), phone=belgian_phone(rng),
                claimed_number=claimed,
            ))

    def build_pools(self) -> None:
        w = self.world
        clean = [f"E:{e.enterprise_number}" for e in w.employers
                 if e.profile in ("clean", "carousel_new")]
        non_onss = [f"E:{e.enterprise_number}" for e in w.employers if e.profile == "non_onss"]
        unknown = [u.key for u in w.unknown_employers]
        foreign = [f.key for f in w.foreign_firms]

        def pool(groups: list[tuple[list[str], float]]) -> tuple[list[str], list[float]]:
            keys: list[str] = []
            weights: list[float] = []
            for members, share in groups:
                keys.extend(members)
                weights.extend([share / len(members)] * len(members))
            return keys, list(itertools.accumulate(weights))

        def offers(keys: list[str]) -> list[str]:
            """Those whose trade is offered on the classifieds (cleaning, building, …)."""
            kept = [k for k in keys if SECTORS_BY_KEY[w.poster(k).sector].listing_categories]
            return kept or keys

        w._pools["ad"] = pool([(clean, 0.68), (unknown, 0.27), (non_onss, 0.03), (foreign, 0.02)])
        w._pools["listing"] = pool([(offers(unknown), 0.60), (offers(clean), 0.25),
                                    (offers(non_onss), 0.08), (foreign, 0.07)])
        w._pools["exploiter"] = pool([(unknown, 0.6), (non_onss, 0.2), (foreign, 0.2)])
        w._pools["listing_exploiter"] = pool([(offers(unknown), 0.7), (offers(non_onss), 0.15),
                                              (foreign, 0.15)])

    def build_plans(self) -> None:
        w, rng = self.world, self.rng
        ads: list[PlanEntry] = []
        for e in w.employers:
            key = f"E:{e.enterprise_number}"
            if e.profile == "non_onss":
                ads += [PlanEntry(key, False, True), PlanEntry(key, False, None)]
            elif e.profile in ("bankrupt", "stopped", "liquidation", "struck_off"):
                ads.append(PlanEntry(key, False, True))
                if rng.random() < 0.5:
                    ads.append(PlanEntry(key, False, None))
            elif e.profile == "carousel_new":
                ads += [PlanEntry(key, False, True), PlanEntry(key, False, None)]
            elif e.profile == "carousel_old" and rng.random() < 0.5:
                ads.append(PlanEntry(key, False, True))
        for f in w.foreign_firms:
            ads += [PlanEntry(f.key, False, True), PlanEntry(f.key, False, None)]
        for _ in range(max(8, w.n_ads * 7 // 100)):
            ads.append(PlanEntry(w.pick_poster("exploiter", rng), True, None))
        ads = ads[: w.n_ads * 6 // 10]
        for slot, entry in zip(rng.sample(range(w.n_ads), len(ads)), ads, strict=True):
            w._ad_plan[slot] = entry

        self.plan_scenario_ads()

        listings: list[PlanEntry] = []
        inactive = [e for e in w.employers
                    if e.profile in ("bankrupt", "stopped", "struck_off", "carousel_old")]
        for e in rng.sample(inactive, k=min(len(inactive), max(3, w.n_listings // 25))):
            listings.append(PlanEntry(f"E:{e.enterprise_number}", False, True))
        for f in rng.sample(w.foreign_firms, k=min(len(w.foreign_firms), 4)):
            listings.append(PlanEntry(f.key, False, True))
        for _ in range(max(4, w.n_listings // 12)):
            listings.append(PlanEntry(w.pick_poster("listing_exploiter", rng), True, None))
        listings = listings[: w.n_listings * 6 // 10]
        for slot, entry in zip(rng.sample(range(w.n_listings), len(listings)), listings,
                               strict=True):
            w._listing_plan[slot] = entry

    def plan_scenario_ads(self) -> None:
        """Pin the scenario firms' ads to slots the main plan left free, from their own stream:
        two domiciled firms advertise twice each, each young firm three or four times."""
        w = self.world
        rng = random.Random(f"vigie-demo-scenario-ads-{w.seed}")
        wanted = [f"E:{n}" for n in w.letterbox[:2] for _ in range(2)]
        for number in w.young:
            wanted += [f"E:{number}"] * rng.choice((3, 4))
        free = [i for i in range(w.n_ads) if i not in w._ad_plan]
        slots = rng.sample(free, k=min(len(free), len(wanted)))
        for slot, key in zip(slots, wanted, strict=False):
            w._ad_plan[slot] = PlanEntry(key, False, None)


def build_world(seed: int = 7, size: int = 300) -> World:
    """The demo world for ``seed`` with ``size`` job ads (and ``size // 3`` listings)."""
    if size < 1:
        raise DemoError(f"size must be at least 1, got {size}")
    builder = _Builder(seed, size)
    places_by_region()  # load the postcode list once, before any drawing
    builder.build_register()
    builder.build_others()
    builder.build_scenarios()
    builder.build_pools()
    builder.build_plans()
    world = builder.world
    for e in world.employers:
        if not is_valid_enterprise_number(e.enterprise_number):  # pragma: no cover
            raise DemoError(f"drew an invalid enterprise number {e.enterprise_number}")
    return world
