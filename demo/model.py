"""Data types of the demo world: employers, persons, foreign firms, ads, listings.

Each ad and listing carries its ground truth (who really posted it, whether it is exploitative)
so that tests and benchmarks can score the crawl → match → signal chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from demo.numbers import dotted
from demo.vocab import JURIDICAL_SITUATIONS, LEGAL_FORMS, STATUS_LABELS, LegalForm, Nace

# Kinds of register employer, by the fraud pattern they stand for.
PROFILES = ("clean", "non_onss", "bankrupt", "stopped", "liquidation", "struck_off",
            "carousel_old", "carousel_new")
TODAY = date(2025, 9, 15)  # the demo's "now": ads are posted in the 60 days before
INACTIVE_PROFILES = ("bankrupt", "stopped", "liquidation", "struck_off", "carousel_old")


@dataclass(frozen=True)
class DemoAddress:
    street_fr: str
    street_nl: str
    house_number: str
    box: str
    postcode: str
    municipality_fr: str
    municipality_nl: str

    def street(self, language: str) -> str:
        return self.street_nl if language == "nl" else self.street_fr

    def municipality(self, language: str) -> str:
        return self.municipality_nl if language == "nl" else self.municipality_fr


@dataclass(frozen=True)
class DemoPerson:
    id: int
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class DemoFunction:
    """A legal function held in an enterprise (what kbopub lists under "Fonctions")."""

    person_id: int
    role: str  # French label as on kbopub: "Administrateur", "Gérant", …
    start_date: date


@dataclass
class DemoEmployer:
    """An enterprise of the demo register (KBO/BCE clone)."""

    enterprise_number: str  # 10 digits
    name: str
    abbreviation: str | None
    language: str  # "fr" | "nl": language of the denomination
    legal_form: str  # key of vocab.LEGAL_FORMS
    legal_form_since: date
    address: DemoAddress
    address_since: date
    status: str  # "AC" | "ST"
    juridical_situation: str  # KBO code, see vocab.JURIDICAL_SITUATIONS
    juridical_situation_date: date
    start_date: date
    onss_employer: bool
    onss_since: date | None
    vat_since: date | None
    sector: str
    nace: tuple[Nace, ...]
    phone: str | None  # national digits
    email: str | None
    website: str | None
    directors: list[DemoFunction]
    establishment_number: str
    profile: str
    struck_off_reason: str | None = None
    struck_off_date: date | None = None
    carousel_id: int | None = None

    @property
    def dotted_number(self) -> str:
        return dotted(self.enterprise_number)

    @property
    def form(self) -> LegalForm:
        return LEGAL_FORMS[self.legal_form]

    @property
    def status_label_fr(self) -> str:
        return STATUS_LABELS[self.status][0]

    @property
    def juridical_situation_label_fr(self) -> str:
        return JURIDICAL_SITUATIONS[self.juridical_situation][0]

    @property
    def inactive(self) -> bool:
        """Bankrupt, in liquidation, stopped or struck off: should not be hiring."""
        return (self.status != "AC" or self.juridical_situation != "000"
                or self.struck_off_reason is not None)

    @property
    def in_open_data(self) -> bool:
        """KBO Open Data only lists active ("AC") entities."""
        return self.status == "AC"


@dataclass(frozen=True)
class DemoForeignFirm:
    key: str
    name: str
    country: str  # "PL" | "RO" | "BG" | "PT"
    vat: str  # compact, with country prefix
    street: str
    postcode: str
    city: str
    phone: str  # international format
    sector: str


@dataclass(frozen=True)
class DemoUnknownEmployer:
    """A Belgian business that is not in the demo register."""

    key: str
    name: str
    sector: str
    language: str
    postcode: str
    municipality: str
    phone: str  # national digits
    claimed_number: str | None  # a valid-looking enterprise number that the register lacks


@dataclass(frozen=True)
class DemoCarousel:
    """One person behind a chain of companies, the older ones bankrupt (oldest first)."""

    id: int
    person_id: int
    enterprise_numbers: tuple[str, ...]


@dataclass(frozen=True)
class DemoAd:
    id: int
    form: str  # "jsonld" | "microdata" | "plain"
    language: str
    title: str
    employer_name: str  # as written in the ad
    company_number: str | None  # as written, e.g. "TVA BE0123456789"
    phone: str | None  # as written
    street: str
    postcode: str
    locality: str
    country: str
    salary_text: str
    salary_currency: str
    salary_min: float | None
    salary_max: float | None
    salary_value: float | None
    salary_unit: str  # HOUR | MONTH | YEAR
    description: str
    date_posted: date
    employment_type: str
    sector: str
    # ground truth
    poster_key: str
    kind_of_poster: str  # "register" | "unknown" | "foreign"
    employer_number: str | None
    foreign_vat: str | None
    exploitation: bool
    below_minimum_wage: bool

    @property
    def path(self) -> str:
        return f"/jobs/ad/{self.id}"

    @property
    def identifier(self) -> str:
        return f"JB-{self.id:06d}"


@dataclass(frozen=True)
class DemoListing:
    id: int
    language: str
    title: str
    category: str
    provider_name: str  # as written
    phone: str | None
    vat: str | None  # as written
    postcode: str
    locality: str
    price_text: str
    description: str
    date_posted: date
    # ground truth
    poster_key: str
    kind_of_poster: str
    employer_number: str | None
    foreign_vat: str | None
    exploitation: bool

    @property
    def path(self) -> str:
        return f"/classifieds/listing/{self.id}"

    def to_json(self) -> dict[str, object]:
        """What the classifieds API publishes (no ground truth)."""
        return {
            "id": self.id, "title": self.title, "category": self.category,
            "provider": self.provider_name, "phone": self.phone, "vat": self.vat,
            "postcode": self.postcode, "locality": self.locality, "price": self.price_text,
            "description": self.description, "language": self.language,
            "posted": self.date_posted.isoformat(),
        }


@dataclass
class GroundTruth:
    """Counts of what a crawl of the whole demo web should find."""

    ads: int = 0
    listings: int = 0
    employers: int = 0
    ads_by_kind: dict[str, int] = field(default_factory=dict)
    ads_by_language: dict[str, int] = field(default_factory=dict)
    ads_by_form: dict[str, int] = field(default_factory=dict)
    non_onss_employers_posting: int = 0  # (a)
    inactive_posts: int = 0  # (b) ads + listings by bankrupt/stopped/struck-off enterprises
    exploitation_ads: int = 0  # (c)
    exploitation_listings: int = 0
    carousels: int = 0  # (d)
    foreign_posts: int = 0  # (e) ads + listings by foreign firms
