"""One service listing of the demo classifieds, derived from (seed, size, "listing", id) alone."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from demo.ads import pick_language, poster_identity
from demo.model import TODAY, DemoEmployer, DemoListing, DemoUnknownEmployer
from demo.numbers import rng_for, write_phone
from demo.places import pick_place
from demo.vocab import EXPLOITATION_PHRASES, LISTING_CATEGORIES, LISTING_TITLES, SECTORS_BY_KEY

if TYPE_CHECKING:
    from demo.world import World

PRICES = {
    "fr": ("{h} €/h", "À partir de {h} €/heure", "Devis gratuit", "Prix à discuter",
           "{h} € de l'heure, TVA comprise"),
    "nl": ("{h} €/u", "Vanaf {h} euro per uur", "Gratis offerte", "Prijs overeen te komen",
           "{h} € per uur incl. btw"),
    "en": ("€{h}/h", "From €{h} per hour", "Free quote", "Price negotiable"),
}
CHEAP = {
    "fr": ("{h} €/h cash", "Pas cher, paiement cash uniquement", "{h} € de l'heure au noir"),
    "nl": ("{h} €/u cash", "Goedkoop, enkel cash betaling", "{h} euro per uur zwart"),
    "en": ("€{h}/h cash", "Cheap, cash only", "{h} EUR per hour, cash"),
}
PITCH = {
    "fr": ("Travail soigné et rapide.", "Disponible aussi le week-end.",
           "Plus de 10 ans d'expérience.", "Équipe sérieuse et ponctuelle.",
           "Intervention dans toute la région."),
    "nl": ("Nauwkeurig en snel werk.", "Ook in het weekend beschikbaar.",
           "Meer dan 10 jaar ervaring.", "Betrouwbaar en stipt team.", "Actief in de hele regio."),
    "en": ("Careful and fast work.", "Also available at weekends.", "Over 10 years' experience.",
           "Reliable, punctual team.", "We cover the whole region."),
}


def make_listing(world: World, listing_id: int) -> DemoListing:
    rng = rng_for(world.seed, world.size, "listing", listing_id)
    entry = world.plan_entry("listing", listing_id)
    if entry is not None:
        key, exploit, show_number = entry.poster_key, entry.exploitation, entry.show_number
    else:
        key = world.pick_poster("listing", rng)
        exploit = key.startswith("U:") and rng.random() < 0.05
        show_number = rng.random() < 0.35
    poster = world.poster(key)
    language = pick_language(poster, rng)
    who = poster_identity(world, key, language, rng, show_number)
    category = rng.choice(SECTORS_BY_KEY[str(who["sector"])].listing_categories
                          or LISTING_CATEGORIES)
    title = LISTING_TITLES[category][language]
    if isinstance(poster, DemoEmployer):
        postcode, locality = poster.address.postcode, poster.address.municipality(language)
    elif isinstance(poster, DemoUnknownEmployer):
        postcode, locality = poster.postcode, poster.municipality
    else:
        place = pick_place(rng, language)
        postcode, locality = place.postcode, place.municipality(language)
    if rng.random() < 0.5:
        title = f"{title} – {locality}"
    hourly = str(rng.randint(18, 45))
    if exploit:
        price = rng.choice(CHEAP[language]).format(h=rng.randint(6, 10))
    else:
        price = rng.choice(PRICES[language]).format(h=hourly)
    sentences = rng.sample(PITCH[language], k=2)
    if exploit:
        sentences.append(rng.choice(EXPLOITATION_PHRASES[language]))
    phone = None
    raw_phone = str(who["phone"]) if who["phone"] else None
    if raw_phone and rng.random() < 0.9:
        phone = raw_phone if raw_phone.startswith("+") else write_phone(raw_phone, rng)
    return DemoListing(
        id=listing_id, language=language, title=title, category=category,
        provider_name=str(who["name"]), phone=phone,
        vat=who["number"],  # type: ignore[arg-type]
        postcode=postcode, locality=locality, price_text=price,
        description=" ".join(sentences), date_posted=_posted(rng), poster_key=key,
        kind_of_poster=str(who["kind"]),
        employer_number=who["employer_number"],  # type: ignore[arg-type]
        foreign_vat=who["foreign_vat"],  # type: ignore[arg-type]
        exploitation=exploit,
    )


def _posted(rng: random.Random) -> date:
    return TODAY - timedelta(days=rng.randint(0, 90))
