"""Company websites of the demo world, served under ``/sites/<slug>/`` (list at ``/sites/``).

Every register employer with a website (``www.<slug>.be``) gets a small site in its language
(FR or NL): home, contact, legal notice (mentions légales / colofon), about, privacy and a few
pages nobody needs (services, news). What the law asks — the enterprise number — is mostly on
the legal notice, sometimes also in the footer or in schema.org JSON-LD. Contact data comes in
the forms real sites use: ``tel:`` links or plain text, ``mailto:`` links, "info [at] firm
[dot] be" or Cloudflare-obfuscated addresses, IBANs, social profiles (and a share button that
is not one).

Each site has a *variant*, drawn deterministically, so that a crawl can be scored:
``ok`` (its own number), ``other_number`` (ANOTHER register enterprise's number — an inactive
one when there is one: the phoenix pattern), ``foreign_vat`` (a foreign firm's VAT number
instead of its own) and ``no_number`` (no enterprise number at all: a legal breach).
Every fourth site is multilingual (FR/NL/EN copies of each page), more pages worth reading than
a crawler's per-site bound.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from demo.model import INACTIVE_PROFILES, DemoEmployer, DemoForeignFirm
from demo.numbers import belgian_phone, dotted, rng_for, write_phone
from demo.pages import esc
from demo.world import World

VARIANTS = ("ok", "other_number", "foreign_vat", "no_number")
BANKS = ("001", "068", "363", "734", "143", "091", "310", "751")
#: page key → path per language (the home page is the empty path).
PATHS = {
    "fr": {"contact": "contact.html", "legal": "mentions-legales.html", "about": "a-propos.html",
           "privacy": "vie-privee.html", "services": "services.html", "news": "actualites.html"},
    "nl": {"contact": "contact.html", "legal": "colofon.html", "about": "over-ons.html",
           "privacy": "privacy.html", "services": "diensten.html", "news": "nieuws.html"},
    "en": {"contact": "contact.html", "legal": "legal-notice.html", "about": "about-us.html",
           "privacy": "privacy-policy.html", "services": "services.html", "news": "news.html"},
}
LABELS = {
    "fr": {"home": "Accueil", "contact": "Contact", "legal": "Mentions légales",
           "about": "À propos", "privacy": "Vie privée", "services": "Nos services",
           "news": "Actualités", "number": "Numéro d'entreprise (BCE)", "vat": "TVA",
           "phone": "Tél.", "email": "E-mail", "bank": "Compte bancaire", "seat": "Siège social"},
    "nl": {"home": "Home", "contact": "Contact", "legal": "Colofon", "about": "Over ons",
           "privacy": "Privacy", "services": "Onze diensten", "news": "Nieuws",
           "number": "Ondernemingsnummer (KBO)", "vat": "BTW", "phone": "Tel.",
           "email": "E-mail", "bank": "Rekeningnummer", "seat": "Maatschappelijke zetel"},
    "en": {"home": "Home", "contact": "Contact us", "legal": "Legal notice", "about": "About us",
           "privacy": "Privacy policy", "services": "Services", "news": "News",
           "number": "Company number", "vat": "VAT", "phone": "Phone", "email": "E-mail",
           "bank": "Bank account", "seat": "Registered office"},
}


@dataclass(frozen=True)
class CompanySite:
    """One demo company site and what a crawler should find on it (its ground truth)."""

    slug: str
    employer: DemoEmployer
    language: str  # "fr" | "nl"
    variant: str  # one of VARIANTS
    shown_number: str | None  # enterprise number shown (10 digits), if a Belgian one is shown
    shown_vat: str | None  # VAT number shown, compact (BE… or a foreign one)
    phone: str  # national digits
    email: str
    email_form: str  # "mailto" | "at-dot" | "cfemail" | "text"
    iban: str | None  # compact
    social: tuple[str, ...]  # profile URLs
    json_ld: bool
    number_in_footer: bool
    multilingual: bool

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.language, "nl" if self.language == "fr" else "fr", "en") \
            if self.multilingual else (self.language,)

    @property
    def domain(self) -> str:
        return f"{self.slug}.be"


def belgian_iban(bank: str, account: int) -> str:
    """A valid Belgian IBAN: bank code, 7-digit account, national mod-97 check, IBAN check."""
    ten = f"{bank}{account:07d}"
    national = f"{ten}{(int(ten) % 97) or 97:02d}"
    check = 98 - int(f"{national}111400") % 97  # "BE00" → 11 14 00 at the end
    return f"BE{check:02d}{national}"


def format_iban(compact: str) -> str:
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def cfemail(address: str, key: int) -> str:
    """Cloudflare's obfuscation: the key byte, then every character XOR the key, in hex."""
    return f"{key:02x}" + "".join(f"{ord(c) ^ key:02x}" for c in address)


@lru_cache(maxsize=8)
def company_sites(world: World) -> tuple[CompanySite, ...]:
    """The sites of a world, ordered by slug (deterministic for a given seed and size)."""
    employers = sorted((e for e in world.employers if e.website),
                       key=lambda e: e.enterprise_number)
    inactive = [e for e in world.employers if e.profile in INACTIVE_PROFILES]
    sites = []
    for i, employer in enumerate(employers):
        rng = rng_for(world.seed, world.size, "site", employer.enterprise_number)
        variant = {3: "other_number", 6: "foreign_vat", 9: "no_number"}.get(i % 10, "ok")
        slug = employer.website.removeprefix("www.").removesuffix(".be")
        shown_number: str | None = employer.enterprise_number
        shown_vat: str | None = f"BE{employer.enterprise_number}"
        if variant == "other_number":
            pool = [e for e in (inactive or world.employers) if e is not employer]
            shown_number = rng.choice(pool).enterprise_number
            shown_vat = f"BE{shown_number}"
        elif variant == "foreign_vat":
            firm: DemoForeignFirm = world.foreign_firms[i % len(world.foreign_firms)]
            shown_number, shown_vat = None, firm.vat
        elif variant == "no_number":
            shown_number = shown_vat = None
        networks = rng.sample(("facebook", "instagram", "linkedin", "tiktok", "x", "youtube"),
                              k=rng.randint(1, 3))
        hosts = {"facebook": "www.facebook.com/", "instagram": "www.instagram.com/",
                 "linkedin": "www.linkedin.com/company/", "tiktok": "www.tiktok.com/@",
                 "x": "x.com/", "youtube": "www.youtube.com/@"}
        sites.append(CompanySite(
            slug=slug, employer=employer, language=employer.language, variant=variant,
            shown_number=shown_number, shown_vat=shown_vat,
            phone=_dialable(employer.phone, rng), email=f"info@{slug}.be",
            email_form=("mailto", "at-dot", "cfemail", "text")[i % 4],
            iban=belgian_iban(rng.choice(BANKS), rng.randint(0, 9_999_999))
            if rng.random() < 0.7 else None,
            social=tuple(f"https://{hosts[n]}{slug}" for n in networks),
            json_ld=i % 3 == 0, number_in_footer=i % 2 == 1 and variant != "no_number",
            multilingual=i % 4 == 0,
        ))
    return tuple(sorted(sites, key=lambda s: s.slug))


def _dialable(phone: str | None, rng: random.Random) -> str:
    """The employer's phone if it is a number in use in Belgium's plan, else a drawn one that
    is (the world's generator also draws numbers the numbering plan does not allow)."""
    while phone is None or not phonenumbers.is_valid_number(phonenumbers.parse(phone, "BE")):
        phone = belgian_phone(rng)
    return phone


@lru_cache(maxsize=8)
def _by_slug(world: World) -> dict[str, CompanySite]:
    return {s.slug: s for s in company_sites(world)}


_PATH = re.compile(r"^/sites/(?P<slug>[a-z0-9]+)/(?:(?P<lang>fr|nl|en)/)?(?P<page>[a-z-]*\.html)?$")


def route(world: World, path: str) -> tuple[int, str]:
    """``(status, html)`` for a path under ``/sites``."""
    if path in ("/sites", "/sites/"):
        return 200, list_page(company_sites(world))
    m = _PATH.match(path)
    site = _by_slug(world).get(m.group("slug")) if m else None
    if m is None or site is None:
        return 404, _shell("fr", "404", "<h1>404 – Page introuvable</h1>")
    language = m.group("lang") or site.language
    if language not in site.languages or (m.group("lang") and not site.multilingual):
        return 404, _shell(site.language, "404", "<h1>404</h1>")
    page = m.group("page") or ""
    keys = {v: k for k, v in PATHS[language].items()}
    if page and page not in keys:
        return 404, _shell(language, "404", "<h1>404</h1>")
    return 200, site_page(site, language, keys.get(page, "home"))


def list_page(sites: tuple[CompanySite, ...]) -> str:
    rows = "".join(f'<li><a class="site-link" href="/sites/{esc(s.slug)}/">'
                   f"{esc(s.employer.name)}</a> – www.{esc(s.domain)}</li>" for s in sites)
    return _shell("fr", "Annuaire des sites d'entreprises",
                  f"<h1>Annuaire des sites d'entreprises</h1><ul>{rows}</ul>")


# -- pages ------------------------------------------------------------------------------------
def _url(site: CompanySite, language: str, key: str) -> str:
    prefix = f"/sites/{site.slug}/" + (f"{language}/" if site.multilingual else "")
    return prefix + ("" if key == "home" else PATHS[language][key])


def site_page(site: CompanySite, language: str, key: str) -> str:
    """One page of a site: header navigation, the page's body, footer."""
    labels = LABELS[language]
    nav = "".join(f'<a href="{_url(site, language, k)}">{esc(labels[k])}</a> '
                  for k in ("home", "services", "about", "news", "contact"))
    if site.multilingual:
        nav += "".join(f'<a hreflang="{lang}" href="{_url(site, lang, key)}">{lang.upper()}</a> '
                       for lang in site.languages)
    body = {"home": _home, "contact": _contact, "legal": _legal, "about": _about,
            "privacy": _privacy, "services": _filler, "news": _filler}[key](site, language)
    head = _json_ld(site) if site.json_ld and key == "home" else ""
    html = (f'<header><strong>{esc(site.employer.name)}</strong><nav>{nav}</nav></header>'
            f"<main>{body}</main>{_footer(site, language)}")
    return _shell(language, f"{labels[key] if key in labels else ''} – {site.employer.name}",
                  html, head)


def _shell(language: str, title: str, body: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="{esc(language)}"><head><meta charset="utf-8">'
            f"<title>{esc(title)}</title>{head}</head><body>{body}</body></html>\n")


def _address_lines(site: CompanySite, language: str) -> tuple[str, str]:
    a = site.employer.address
    box = f" {'boîte' if language == 'fr' else 'bus'} {a.box}" if a.box else ""
    lang = "nl" if language == "nl" else "fr"
    return f"{a.street(lang)} {a.house_number}{box}", f"{a.postcode} {a.municipality(lang)}"


def _number_text(site: CompanySite, language: str) -> str:
    labels = LABELS[language]
    if site.shown_number:
        return (f"{esc(labels['number'])} : {dotted(site.shown_number)} – "
                f"{esc(labels['vat'])} BE {dotted(site.shown_number)}")
    if site.shown_vat:
        return f"{esc(labels['vat'])} : {esc(site.shown_vat)}"
    return ""


def _footer(site: CompanySite, language: str) -> str:
    street, town = _address_lines(site, language)
    labels = LABELS[language]
    social = "".join(f'<a class="social" href="{esc(u)}">{esc(u.split("/")[2])}</a> '
                     for u in site.social)
    share = (f'<a href="https://www.facebook.com/sharer/sharer.php?u=https://www.{site.domain}/">'
             "Partager</a>")
    number = f"<p>{_number_text(site, language)}</p>" if site.number_in_footer else ""
    legal = "".join(f'<a href="{_url(site, language, k)}">{esc(labels[k])}</a> '
                    for k in ("legal", "privacy", "contact"))
    return (f'<footer class="site-footer"><p>© 2025 {esc(site.employer.name)} – '
            f"{esc(street)}, {esc(town)}</p>{number}<p>{legal}</p><p>{social}{share}</p>"
            "</footer>")


def _home(site: CompanySite, language: str) -> str:
    intro = {"fr": "Votre partenaire de confiance depuis", "nl": "Uw betrouwbare partner sinds",
             "en": "Your trusted partner since"}[language]
    return (f"<h1>{esc(site.employer.name)}</h1><p>{intro} {site.employer.start_date.year}."
            f'</p><p><a href="{_url(site, language, "services")}">→</a></p>')


def _email_html(site: CompanySite) -> str:
    user, domain = site.email.split("@")
    if site.email_form == "mailto":
        return f'<a href="mailto:{esc(site.email)}">{esc(site.email)}</a>'
    if site.email_form == "at-dot":
        return f"{esc(user)} [at] {esc(domain.replace('.', ' [dot] '))}"
    if site.email_form == "cfemail":
        code = cfemail(site.email, 0x5A)
        return (f'<a href="/cdn-cgi/l/email-protection#{code}"><span class="__cf_email__" '
                f'data-cfemail="{code}">[email&#160;protected]</span></a>')
    return esc(site.email)


def _contact(site: CompanySite, language: str) -> str:
    labels = LABELS[language]
    rng = rng_for("site-phone", site.slug)
    written = write_phone(site.phone, rng)
    phone = (f'<a href="tel:+32{site.phone[1:]}">{esc(written)}</a>'
             if site.slug[0] < "m" else esc(written))
    street, town = _address_lines(site, language)
    return (f"<h1>{esc(labels['contact'])}</h1><address>{esc(site.employer.name)}<br>"
            f"{esc(street)}<br>{esc(town)}</address>"
            f"<p>{esc(labels['phone'])} {phone}</p><p>{esc(labels['email'])}: "
            f"{_email_html(site)}</p><form><input name=q><button>OK</button></form>")


def _legal(site: CompanySite, language: str) -> str:
    labels = LABELS[language]
    street, town = _address_lines(site, language)
    form = site.employer.form
    abbr = form.abbr_nl if language == "nl" else form.abbr_fr
    rows = [f"<p>{esc(site.employer.name)} {esc(abbr)}</p>",
            f"<p>{esc(labels['seat'])}: {esc(street)}, {esc(town)}</p>"]
    number = _number_text(site, language)
    if number:
        rows.append(f"<p>{number}</p>")
    if site.iban:
        rows.append(f"<p>{esc(labels['bank'])} IBAN {format_iban(site.iban)} – BIC GEBABEBB</p>")
    rows.append(f"<p>{esc(labels['email'])}: {_email_html(site)}</p>")
    return f"<h1>{esc(labels['legal'])}</h1>{''.join(rows)}"


def _about(site: CompanySite, language: str) -> str:
    return f"<h1>{esc(LABELS[language]['about'])}</h1><p>{esc(site.employer.name)}.</p>"


def _privacy(site: CompanySite, language: str) -> str:
    return (f"<h1>{esc(LABELS[language]['privacy'])}</h1><p>GDPR / RGPD / AVG: "
            f"{esc(site.email)}</p>")


def _filler(site: CompanySite, language: str) -> str:
    return "<h1>…</h1>" + "".join(f"<p>Lorem ipsum {i} – {esc(site.employer.sector)}.</p>"
                                  for i in range(5))


def _json_ld(site: CompanySite) -> str:
    street, _ = _address_lines(site, site.language)
    a = site.employer.address
    data = {
        "@context": "https://schema.org", "@type": "LocalBusiness", "name": site.employer.name,
        "url": f"https://www.{site.domain}/", "telephone": f"+32{site.phone[1:]}",
        "address": {"@type": "PostalAddress", "streetAddress": street, "postalCode": a.postcode,
                    "addressLocality": a.municipality(site.language), "addressCountry": "BE"},
        "sameAs": list(site.social),
    }
    if site.shown_vat:
        data["vatID"] = site.shown_vat
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{payload}</script>'
