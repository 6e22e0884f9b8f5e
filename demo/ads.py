"""One job ad of the demo board, derived from (seed, size, "ad", id) alone."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from demo.model import TODAY, DemoAd, DemoEmployer, DemoForeignFirm, DemoUnknownEmployer
from demo.numbers import rng_for, write_enterprise_number, write_foreign_vat, write_phone
from demo.places import pick_place
from demo.spelling import typo, written_name
from demo.vocab import EXPLOITATION_PHRASES, SECTORS_BY_KEY, STREETS_FR, STREETS_NL

if TYPE_CHECKING:
    from demo.world import World

Poster = DemoEmployer | DemoForeignFirm | DemoUnknownEmployer
# Exploitative pay is drawn at 5-7 EUR/hour or 800-1,000 EUR/month full time, far below the
# Belgian guaranteed minimum (about 2,070 EUR/month, 12.5 EUR/hour, in 2025).


def pick_language(poster: Poster, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "en"
    own = getattr(poster, "language", None)
    if own is not None and rng.random() < 0.8:
        return own
    return rng.choice(("fr", "nl"))


def fmt_money(value: float, language: str, decimals: int) -> str:
    """14.5 -> "14,50" (fr/nl) or "14.50" (en); 2300 -> "2.300" / "2,300"."""
    text = f"{value:,.{decimals}f}"
    if language == "en":
        return text
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def salary(language: str, exploit: bool, rng: random.Random) -> dict[str, object]:
    """Salary text and its structured twin; exploitative pay is far below the minimum."""
    hourly = rng.random() < 0.55
    low: float | None
    high: float | None
    value: float | None
    if exploit and rng.random() < 0.75:
        if hourly:
            value = float(rng.choice((5, 5.5, 6, 6.5, 7)))
            v = fmt_money(value, language, 2 if value % 1 else 0)
            text = {"fr": rng.choice((f"cash {v}€/h", f"{v} €/heure, payé en liquide",
                                      f"{v} € de l'heure")),
                    "nl": rng.choice((f"{v} euro per uur", f"cash {v}€/u", f"{v} €/uur zwart")),
                    "en": rng.choice((f"€{v}/hour cash", f"{v} EUR per hour", f"cash {v}€/h"))
                    }[language]
            unit = "HOUR"
        else:
            value = float(rng.choice((800, 900, 950, 1000)))
            v = fmt_money(value, language, 0)
            text = {"fr": f"{v} € par mois temps plein", "nl": f"{v} euro per maand voltijds",
                    "en": f"€{v}/month full-time"}[language]
            unit = "MONTH"
        return {"text": text, "min": None, "max": None, "value": value, "unit": unit,
                "below": True}
    if hourly:
        low = rng.randrange(1400, 2000, 25) / 100
        high = low + rng.choice((0, 0, 1, 1.5, 2))
        value = None
        a, b = fmt_money(low, language, 2), fmt_money(high, language, 2)
        if high == low:
            value, low, high = low, None, None
            text = {"fr": f"€ {a} / heure", "nl": f"€ {a} per uur",
                    "en": f"€{a} per hour"}[language]
        else:
            text = {"fr": f"Entre {a} et {b} € brut/heure", "nl": f"€ {a} - € {b} bruto per uur",
                    "en": f"€{a}–{b} gross per hour"}[language]
        unit = "HOUR"
    else:
        low = float(rng.randrange(2100, 3800, 50))
        high = low + rng.choice((0, 200, 300, 500))
        value = None
        a, b = fmt_money(low, language, 0), fmt_money(high, language, 0)
        if high == low:
            value, low, high = low, None, None
            text = {"fr": f"{a} € brut par mois", "nl": f"{a} EUR bruto per maand",
                    "en": f"€{a} gross per month"}[language]
        else:
            text = {"fr": f"Entre {a} et {b} € bruts/mois", "nl": f"€ {a} - € {b} bruto/maand",
                    "en": f"€{a}–{b} per month"}[language]
        unit = "MONTH"
    return {"text": text, "min": low, "max": high, "value": value, "unit": unit, "below": False}


TITLE_SUFFIX = {"fr": ("", " (H/F)", " (H/F/X)", " – CDI", " – temps plein"),
                "nl": ("", " (m/v/x)", " (m/v)", " – vast contract", " – voltijds"),
                "en": ("", " (m/f/x)", " – full time", " – permanent")}

INTRO = {
    "fr": "{company} recherche un(e) {title} pour renforcer son équipe à {locality}.",
    "nl": "{company} zoekt een {title} om het team in {locality} te versterken.",
    "en": "{company} is looking for a {title} to join the team in {locality}.",
}
BODY = {
    "fr": ("Vous travaillez en équipe et respectez les consignes de sécurité.",
           "Une première expérience est un atout.", "Permis B souhaité.",
           "Horaire de jour, du lundi au vendredi.", "Contrat à durée indéterminée après essai.",
           "Chèques-repas et éco-chèques."),
    "nl": ("Je werkt in team en volgt de veiligheidsregels.", "Ervaring is een pluspunt.",
           "Rijbewijs B gewenst.", "Dagwerk van maandag tot vrijdag.",
           "Vast contract na proefperiode.", "Maaltijdcheques en ecocheques."),
    "en": ("You work in a team and follow the safety rules.", "Previous experience is a plus.",
           "Driving licence B preferred.", "Day shifts, Monday to Friday.",
           "Permanent contract after a trial period.", "Meal vouchers included."),
}
CONTACT = {"fr": "Contact : {phone}.", "nl": "Contact: {phone}.", "en": "Call {phone}."}
EMPLOYMENT_TYPES = (("FULL_TIME", 60), ("PART_TIME", 20), ("TEMPORARY", 15), ("CONTRACTOR", 5))


def poster_identity(world: World, key: str, language: str, rng: random.Random,
                    show_number: bool | None) -> dict[str, object]:
    """Name, number and phone as the poster writes them, plus the ground truth."""
    poster = world.poster(key)
    if show_number is None:
        show_number = rng.random() < 0.45
    if isinstance(poster, DemoEmployer):
        name = written_name(poster.name, poster.legal_form, language, rng, poster.abbreviation)
        number = write_enterprise_number(poster.enterprise_number, language, rng) \
            if show_number else None
        phone = poster.phone or None
        return {"name": name, "number": number, "phone": phone, "kind": "register",
                "employer_number": poster.enterprise_number, "foreign_vat": None,
                "sector": poster.sector, "poster": poster}
    if isinstance(poster, DemoForeignFirm):
        name = poster.name if rng.random() < 0.7 else poster.name.upper()
        number = write_foreign_vat(poster.vat, language, rng) if show_number else None
        return {"name": name, "number": number, "phone": poster.phone, "kind": "foreign",
                "employer_number": None, "foreign_vat": poster.vat, "sector": poster.sector,
                "poster": poster}
    name = poster.name if rng.random() < 0.85 else typo(poster.name, rng)
    number = None
    if poster.claimed_number and (show_number or rng.random() < 0.6):
        number = write_enterprise_number(poster.claimed_number, language, rng)
    return {"name": name, "number": number, "phone": poster.phone, "kind": "unknown",
            "employer_number": None, "foreign_vat": None, "sector": poster.sector,
            "poster": poster}


def make_ad(world: World, ad_id: int) -> DemoAd:
    rng = rng_for(world.seed, world.size, "ad", ad_id)
    entry = world.plan_entry("ad", ad_id)
    if entry is not None:
        key, exploit, show_number = entry.poster_key, entry.exploitation, entry.show_number
    else:
        key = world.pick_poster("ad", rng)
        exploit = key.startswith("U:") and rng.random() < 0.05
        show_number = None
    poster = world.poster(key)
    language = pick_language(poster, rng)
    who = poster_identity(world, key, language, rng, show_number)
    sector = SECTORS_BY_KEY[str(who["sector"])]
    jobs = {"fr": sector.jobs_fr, "nl": sector.jobs_nl, "en": sector.jobs_en}[language]
    job = rng.choice(jobs)
    title = job + rng.choice(TITLE_SUFFIX[language])
    if exploit and rng.random() < 0.4:
        title = {"fr": "URGENT ", "nl": "DRINGEND ", "en": "URGENT "}[language] + title

    # where the job is
    if isinstance(poster, DemoEmployer) and rng.random() < 0.6:
        street = f"{poster.address.street(language)} {poster.address.house_number}"
        postcode = poster.address.postcode
        locality = poster.address.municipality(language)
    elif isinstance(poster, DemoUnknownEmployer) and rng.random() < 0.7:
        street = f"{rng.choice(STREETS_NL if poster.language == 'nl' else STREETS_FR)} " \
                 f"{rng.randint(1, 200)}"
        postcode, locality = poster.postcode, poster.municipality
    else:
        place = pick_place(rng, language)
        streets = STREETS_NL if place.region == "flanders" else STREETS_FR
        street = f"{rng.choice(streets)} {rng.randint(1, 200)}"
        postcode, locality = place.postcode, place.municipality(language)

    pay = salary(language, exploit, rng)
    phone_national = who["phone"] if rng.random() < 0.5 else None
    phone = None
    if phone_national:
        phone = write_phone(str(phone_national), rng) if not str(phone_national).startswith("+") \
            else str(phone_national)

    sentences = [INTRO[language].format(company=who["name"], title=job.lower(),
                                        locality=locality)]
    sentences += rng.sample(BODY[language], k=3)
    phrases = EXPLOITATION_PHRASES[language]
    if exploit and (not pay["below"] or rng.random() < 0.6):
        sentences += rng.sample(phrases, k=rng.randint(1, 2))
    if phone:
        sentences.append(CONTACT[language].format(phone=phone))
    description = " ".join(sentences)

    return DemoAd(
        id=ad_id, form=rng.choices(("jsonld", "microdata", "plain"), (60, 25, 15))[0],
        language=language, title=title, employer_name=str(who["name"]),
        company_number=who["number"],  # type: ignore[arg-type]
        phone=phone, street=street, postcode=postcode, locality=locality, country="BE",
        salary_text=str(pay["text"]), salary_currency="EUR",
        salary_min=pay["min"], salary_max=pay["max"],  # type: ignore[arg-type]
        salary_value=pay["value"], salary_unit=str(pay["unit"]),  # type: ignore[arg-type]
        description=description, date_posted=_posted(rng),
        employment_type=rng.choices([t for t, _ in EMPLOYMENT_TYPES],
                                    [w for _, w in EMPLOYMENT_TYPES])[0],
        sector=sector.key, poster_key=key, kind_of_poster=str(who["kind"]),
        employer_number=who["employer_number"],  # type: ignore[arg-type]
        foreign_vat=who["foreign_vat"],  # type: ignore[arg-type]
        exploitation=exploit, below_minimum_wage=bool(pay["below"]),
    )


def _posted(rng: random.Random) -> date:
    return TODAY - timedelta(days=rng.randint(0, 60))
