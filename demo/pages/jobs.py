"""The demo job board: search pages, ad pages in three forms, and the deliberate faults."""

from __future__ import annotations

import json
import re
from urllib.parse import quote_plus

from demo.model import DemoAd
from demo.pages import esc, site_page

PER_PAGE = 20
FAULT_IDS = ("fault-500", "fault-malformed", "fault-encoding")
SCHEMA = "https://schema.org/"
_NUMBER_PART = re.compile(r"(?:(?:BE|PL|RO|BG|PT)\s?)?[0-9][0-9 .\-]*[0-9]")

HEADER = ('<header class="site-header"><a class="brand" href="/jobs/search?page=1">'
          "JobsBelgique</a> <nav><a href=\"/jobs/search?page=1\">Offres</a> "
          '<a href="/private/employers">Espace employeurs</a></nav></header>')
FOOTER = '<footer class="site-footer">© JobsBelgique – démo Vigie</footer>'
LABELS = {
    "fr": {"company": "Employeur", "where": "Lieu", "pay": "Salaire", "posted": "Publiée le",
           "number": "N°", "phone": "Tél."},
    "nl": {"company": "Werkgever", "where": "Plaats", "pay": "Loon", "posted": "Geplaatst op",
           "number": "Nr.", "phone": "Tel."},
    "en": {"company": "Employer", "where": "Location", "pay": "Salary", "posted": "Posted on",
           "number": "No.", "phone": "Phone"},
}


def page_count(n_ads: int) -> int:
    return max(1, -(-n_ads // PER_PAGE))


def search_page(ads: list[DemoAd], page: int, n_pages: int, faults: bool,
                query: str | None = None) -> str:
    """One page of results: all ads, or (``query``) the hits of the search box; the pager
    keeps the query. The fault links are listed on page 1 of the unfiltered list only."""
    keep = f"q={quote_plus(query)}&amp;" if query else ""
    items = [f'<li class="result"><a class="job-link" href="{esc(ad.path)}">{esc(ad.title)}</a>'
             f' <span class="result-meta">{esc(ad.locality)} · {esc(ad.date_posted)}</span></li>'
             for ad in ads]
    if faults and page == 1 and not query:
        titles = ("Magasinier (H/F)", "Assistant administratif", "Étudiant·e jobiste")
        items += [f'<li class="result"><a class="job-link" href="/jobs/ad/{fid}">{esc(t)}</a></li>'
                  for fid, t in zip(FAULT_IDS, titles, strict=True)]
    if not items:
        items = ['<li class="no-results">Aucune offre ne correspond à votre recherche.</li>']
    nav = []
    if page > 1:
        nav.append(f'<a rel="prev" href="/jobs/search?{keep}page={page - 1}">Précédent</a>')
    nav.append(f'<span class="current">Page {page} / {n_pages}</span>')
    if page < n_pages:
        nav.append(f'<a rel="next" href="/jobs/search?{keep}page={page + 1}">Suivant</a>')
    heading = f"Offres d'emploi – « {esc(query)} »" if query else "Offres d'emploi"
    body = (f"{HEADER}\n<main><h1>{heading}</h1>\n<ul class=\"results\">\n"
            + "\n".join(items) + "\n</ul>\n"
            f'<nav class="pagination">{" ".join(nav)}</nav></main>\n{FOOTER}')
    return site_page(f"Offres d'emploi – page {page} – JobsBelgique", body)


def tax_id(written: str | None) -> str | None:
    """The number part of "TVA BE0123456789" / "ondernemingsnummer 0123 456 789"."""
    if not written:
        return None
    match = _NUMBER_PART.search(written)
    return match.group(0) if match else None


def _salary_value(ad: DemoAd) -> dict[str, object]:
    value: dict[str, object] = {"@type": "QuantitativeValue", "unitText": ad.salary_unit}
    if ad.salary_value is not None:
        value["value"] = ad.salary_value
    if ad.salary_min is not None:
        value["minValue"] = ad.salary_min
    if ad.salary_max is not None:
        value["maxValue"] = ad.salary_max
    return value


def job_posting_jsonld(ad: DemoAd, same_as: str | None) -> dict[str, object]:
    org: dict[str, object] = {"@type": "Organization", "name": ad.employer_name}
    if same_as:
        org["sameAs"] = same_as
    if tax_id(ad.company_number):
        org["taxID"] = tax_id(ad.company_number)
    if ad.phone:
        org["telephone"] = ad.phone
    return {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": ad.title,
        "description": ad.description,
        "identifier": {"@type": "PropertyValue", "name": "JobsBelgique", "value": ad.identifier},
        "datePosted": ad.date_posted.isoformat(),
        "employmentType": ad.employment_type,
        "inLanguage": ad.language,
        "hiringOrganization": org,
        "jobLocation": {"@type": "Place", "address": {
            "@type": "PostalAddress", "streetAddress": ad.street, "postalCode": ad.postcode,
            "addressLocality": ad.locality, "addressCountry": ad.country}},
        "baseSalary": {"@type": "MonetaryAmount", "currency": ad.salary_currency,
                       "value": _salary_value(ad)},
    }


def script_json(data: object) -> str:
    """JSON safe inside <script>: no "<", ">" or "&" can close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _attrs(micro: bool, text: str) -> str:
    return f" {text}" if micro else ""


def _ip(micro: bool, prop: str) -> str:
    """` itemprop="…"` on microdata pages, nothing on the others."""
    return f' itemprop="{prop}"' if micro else ""


def ad_page(ad: DemoAd, same_as: str | None = None) -> str:
    """The detail page: JSON-LD, microdata or neither, always with the same visible HTML."""
    micro = ad.form == "microdata"
    lab = LABELS[ad.language]
    posting_scope = f'itemscope itemtype="{SCHEMA}JobPosting"'
    parts = [f'<article class="job-posting"{_attrs(micro, posting_scope)}>']
    parts.append(f'<h1 class="job-title"{_ip(micro, "title")}>{esc(ad.title)}</h1>')
    org_scope = f'itemprop="hiringOrganization" itemscope itemtype="{SCHEMA}Organization"'
    parts.append(f'<section class="job-employer"{_attrs(micro, org_scope)}>')
    parts.append(f'<span class="label">{lab["company"]}:</span> '
                 f'<div class="job-company"{_ip(micro, "name")}>'
                 f"{esc(ad.employer_name)}</div>")
    if ad.company_number:
        number = tax_id(ad.company_number) or ""
        written = ad.company_number
        if micro and number and number in written:
            head, _, tail = written.partition(number)
            inner = f'{esc(head)}<span itemprop="taxID">{esc(number)}</span>{esc(tail)}'
        else:
            inner = esc(written)
        parts.append(f'<div class="job-company-number">{inner}</div>')
    if ad.phone:
        parts.append(f'<div class="job-phone"{_ip(micro, "telephone")}>'
                     f"{esc(ad.phone)}</div>")
    if micro and same_as:
        parts.append(f'<link itemprop="sameAs" href="{esc(same_as)}">')
    parts.append("</section>")
    place_scope = f'itemprop="jobLocation" itemscope itemtype="{SCHEMA}Place"'
    addr_scope = f'itemprop="address" itemscope itemtype="{SCHEMA}PostalAddress"'
    parts.append(
        f'<div class="job-location"{_attrs(micro, place_scope)}>'
        f'<span class="job-address"{_attrs(micro, addr_scope)}>'
        f'<span class="street"{_ip(micro, "streetAddress")}>{esc(ad.street)}</span>'
        f', <span class="postcode"{_ip(micro, "postalCode")}>'
        f"{esc(ad.postcode)}</span> "
        f'<span class="locality"{_ip(micro, "addressLocality")}>'
        f"{esc(ad.locality)}</span>"
        + (f'<meta itemprop="addressCountry" content="{esc(ad.country)}">' if micro else "")
        + "</span></div>")
    salary_scope = f'itemprop="baseSalary" itemscope itemtype="{SCHEMA}MonetaryAmount"'
    salary_meta = ""
    if micro:
        value_scope = f'itemprop="value" itemscope itemtype="{SCHEMA}QuantitativeValue"'
        metas = [f'<meta itemprop="{k}" content="{esc(v)}">'
                 for k, v in _salary_value(ad).items() if k != "@type"]
        salary_meta = (f'<meta itemprop="currency" content="{esc(ad.salary_currency)}">'
                       f'<span {value_scope}>{"".join(metas)}</span>')
    parts.append(f'<div class="job-salary"{_attrs(micro, salary_scope)}>{salary_meta}'
                 f"{esc(ad.salary_text)}</div>")
    parts.append(f'<p class="job-posted">{lab["posted"]} <time class="job-date"'
                 f'{_ip(micro, "datePosted")} '
                 f'datetime="{ad.date_posted.isoformat()}">{ad.date_posted.isoformat()}</time></p>')
    parts.append(f'<div class="job-description"{_ip(micro, "description")}>'
                 f"<p>{esc(ad.description)}</p></div>")
    if micro:
        parts.append(f'<meta itemprop="employmentType" content="{esc(ad.employment_type)}">'
                     f'<meta itemprop="identifier" content="{esc(ad.identifier)}">'
                     f'<meta itemprop="inLanguage" content="{esc(ad.language)}">')
    parts.append("</article>")
    head = ""
    if ad.form == "jsonld":
        head = ('<script type="application/ld+json">\n'
                f"{script_json(job_posting_jsonld(ad, same_as))}\n</script>\n")
    body = f"{HEADER}\n<main>\n" + "\n".join(parts) + f"\n</main>\n{FOOTER}"
    return site_page(f"{ad.title} – {ad.employer_name} – JobsBelgique", body,
                     language=ad.language, head_extra=head)


def fault_500_page() -> str:
    return site_page("Erreur interne", "<h1>500 – Erreur interne du serveur</h1>")


def fault_malformed_bytes() -> bytes:
    """Garbage: truncated HTML, no title, no JobPosting, no fallback fields, binary bytes."""
    return (b"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\n"
            b"<scr\x00ipt>var x = '\x9f\xff\xfe\x01\x02';</scr\n</head><body><div cla"
            b"\xc3\x28\xa0\xa1 ss=\"jo\x00b-\xff\xfe<<<>>\x07\x1b[0m\x00\x00\x00\x8d\x8f"
            b"<p>Lorem \xe2\x82 ips")


def fault_encoding_bytes() -> bytes:
    """A French ad whose header and meta say UTF-8 but whose bytes are Windows-1252."""
    html = site_page(
        "Étudiant·e jobiste – Crèche Les Hirondelles – JobsBelgique",
        f"{HEADER}\n<main>\n<article class=\"job-posting\">"
        '<h1 class="job-title">Étudiant·e jobiste pour l\'été</h1>'
        '<section class="job-employer"><div class="job-company">Crèche Les Hirondelles</div>'
        "</section>"
        '<div class="job-location"><span class="street">Rue de l\'Église 12</span>, '
        '<span class="postcode">1348</span> <span class="locality">Ottignies-Louvain-la-Neuve'
        "</span></div>"
        '<div class="job-salary">€ 12,50 / heure (étudiant)</div>'
        '<p class="job-posted">Publiée le <time class="job-date" datetime="2025-09-01">'
        "2025-09-01</time></p>"
        '<div class="job-description"><p>Notre crèche cherche un·e étudiant·e motivé·e pour '
        "l'accueil des enfants en juillet–août. Expérience appréciée, brevet d'animateur "
        "bienvenu. Rémunération conforme au barème « étudiant ».</p></div>"
        f"</article>\n</main>\n{FOOTER}",
    )
    return html.encode("cp1252")
