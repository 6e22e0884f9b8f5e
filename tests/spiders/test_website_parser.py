"""The company-website parser on real pages (KBO public search, SEEK's footer) and on pages
constructed with real Belgian numbers (tests/fixtures/websites_constructed/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spiders import ParseError
from spiders.parsers.website import (
    PageExtract,
    decode_cfemail,
    link_kind,
    merge_pages,
    parse_website_page,
    same_site,
    site_root_of,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
KBO_URL = (
    "https://kbopub.economie.fgov.be/kbopub/toonondernemingps.html"
    "?lang=fr&ondernemingsnummer=0200362408"
)


def _page(rel: str, url: str) -> PageExtract:
    return parse_website_page((FIXTURES / rel).read_bytes(), url)


def _found(values: list[dict], key: str = "value") -> list[tuple[str, str]]:
    return [(v[key], v["where"]) for v in values]


# -- real pages -------------------------------------------------------------------------------
def test_real_kbo_page_identity_and_contact_data() -> None:
    page = _page("realworld/kbo/kbo_fr_0200362408.html", KBO_URL)
    assert _found(page.enterprise_numbers) == [("0200362408", "text")]
    assert _found(page.phones) == [("+3223151351", "text")]
    assert ("info@isbw.be", "link:mailto") in _found(page.emails)
    assert [a["value"] for a in page.addresses] == ["Rue du Cerf 200, 1332 Rixensart"]
    assert page.addresses[0]["postcode"] == "1332" and page.addresses[0]["country"] == "BE"
    assert page.numbers_invalid == [] and page.ibans == [] and page.social == []
    assert page.language == "fr"
    # Only same-site links worth reading: the disclaimer (legal) and the "Contact" link.
    assert [(link["kind"], link["text"]) for link in page.links] == [
        ("legal", "Disclaimer"),
        ("contact", "Contact"),
    ]
    assert all(link["url"].startswith("https://kbopub.economie.fgov.be/") for link in page.links)


def test_real_seek_footer_social_profiles_and_links() -> None:
    page = _page("realworld/jobs/seek_job.html", "https://www.seek.com.au/job/81372391")
    assert _found(page.social) == [
        ("https://www.facebook.com/SEEK", "link:social"),
        ("https://www.instagram.com/seekau", "link:social"),
        ("https://twitter.com/seekjobs", "link:social"),
        ("https://www.youtube.com/@SEEKJobs", "link:social"),
    ]
    assert [s["network"] for s in page.social] == ["facebook", "instagram", "x", "youtube"]
    kinds = {(link["kind"], link["url"]) for link in page.links}
    assert ("conditions", "https://www.seek.com.au/terms") in kinds
    assert ("privacy", "https://www.seek.com.au/my-privacy") in kinds
    assert ("about", "https://www.seek.com.au/about") in kinds
    # "Contact us" lives on help.au.seek.com: another registered domain, not followed.
    assert not any("help.au.seek.com" in url for _, url in kinds)
    assert all(link["where"] == "footer" for link in page.links)
    assert page.enterprise_numbers == [] and page.vats == [] and page.phones == []


# -- constructed pages with real numbers ------------------------------------------------------
def test_mentions_legales_text_obfuscation_iban_and_invalid_number() -> None:
    page = _page("websites_constructed/isbw_mentions_legales.html",
                 "https://www.isbw.be/fr/mentions-legales/")
    assert _found(page.enterprise_numbers) == [("0200362408", "text")]
    # The agency's number fails mod 97: kept apart, never counted as a number.
    assert _found(page.numbers_invalid) == [("BE 0200.362.409", "text")]
    assert _found(page.phones) == [("+3223151351", "text")]  # script/style digits ignored
    assert _found(page.emails) == [("info@isbw.be", "link:mailto"), ("info@isbw.be", "text")]
    assert _found(page.ibans) == [("BE71096123456769", "text")]
    assert [a["value"] for a in page.addresses] == ["Rue du Cerf 200, 1332 Rixensart"]
    # Share buttons are not profiles.
    assert [s["value"] for s in page.social] == [
        "https://www.facebook.com/isbw.be",
        "https://www.linkedin.com/company/isbw",
    ]
    assert [link["kind"] for link in page.links] == ["contact", "about", "conditions", "privacy"]
    assert page.language == "fr"


def test_colofon_microdata_cfemail_foreign_vat_footer() -> None:
    page = _page("websites_constructed/veneco_colofon.html", "https://www.veneco.be/colofon")
    assert _found(page.names) == [("Intergemeentelijke Vereniging Veneco",
                                   "microdata:Organization.name")]
    assert _found(page.enterprise_numbers) == [
        ("0200065765", "microdata:Organization.vatID"),
        ("0200065765", "footer"),
        ("0200065765", "text"),
    ]
    assert ("PL5261040828", "text") in _found(page.vats)
    assert [v["country"] for v in page.vats if v["value"] == "PL5261040828"] == ["PL"]
    assert _found(page.emails) == [("info@veneco.be", "cfemail")]
    assert _found(page.ibans) == [("NL91ABNA0417164300", "text")]
    assert _found(page.addresses)[:2] == [
        ("Panhuisstraat 1, 9070 Destelbergen", "microdata:Organization.address"),
        ("Panhuisstraat 1, 9070 Destelbergen", "footer"),
    ]
    assert {s["network"] for s in page.social} == {"instagram", "youtube", "tiktok"}
    urls = [link["url"] for link in page.links]
    assert "https://www.andere-gemeente.be/colofon" not in urls  # another site
    assert "https://veneco.be/privacyverklaring" in urls  # same registered domain, no www
    assert page.language == "nl"


def test_contact_jsonld_graph_tel_and_mailto() -> None:
    page = _page("websites_constructed/iglimburg_contact.html",
                 "https://extranet.iglimburg.be/contact")
    assert _found(page.enterprise_numbers) == [("0201310929", "jsonld:ProfessionalService.taxID")]
    phones = _found(page.phones)
    assert phones[:2] == [("+3289323950", "jsonld:ProfessionalService.telephone"),
                          ("+3289323950", "link:tel")]
    assert "+3229999999" not in {p for p, _ in phones}  # a BreadcrumbList is no organisation
    assert _found(page.emails) == [("info@iglimburg.be", "link:mailto")]
    assert _found(page.social) == [
        ("https://www.linkedin.com/company/iglimburg", "jsonld:ProfessionalService.sameAs"),
        ("https://x.com/iglimburg", "jsonld:ProfessionalService.sameAs"),
    ]
    assert [(link["kind"], link["text"]) for link in page.links] == [
        ("legal", "Impressum"),
        ("legal", "Legal notice"),
        ("contact", "Contact form"),
        ("about", "Über uns"),
        ("privacy", "Datenschutz"),
    ]


def test_not_html_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not HTML"):
        parse_website_page(b"%PDF-1.7 binary", "https://firm.be/cgv.pdf")


# -- helpers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "url", "kind"),
    [
        ("Mentions légales", "https://a.be/page-12", "legal"),
        ("", "https://a.be/nl/colofon", "legal"),
        ("Impressum", "https://a.be/x", "legal"),
        ("Contacteer ons", "https://a.be/x", "contact"),
        ("À propos", "https://a.be/x", "about"),
        ("", "https://a.be/over-ons/", "about"),
        ("Algemene voorwaarden", "https://a.be/x", "conditions"),
        ("Politique de confidentialité", "https://a.be/x", "privacy"),
        ("Nos réalisations", "https://a.be/realisations", None),
    ],
)
def test_link_kind(text: str, url: str, kind: str | None) -> None:
    assert link_kind(text, url) == kind


def test_same_site_and_root() -> None:
    assert same_site("https://shop.firm.be/contact", "https://www.firm.be/")
    assert not same_site("https://firm.com/contact", "https://www.firm.be/")
    # on a site builder each customer's host is a site of its own
    assert same_site("https://anna.wixsite.com/site/contact", "https://anna.wixsite.com/site")
    assert not same_site("https://bob.wixsite.com/site", "https://anna.wixsite.com/site")
    root = site_root_of("http://127.0.0.1:8800/sites/abc/")
    assert root == "http://127.0.0.1:8800/sites/abc/"
    assert same_site("http://127.0.0.1:8800/sites/abc/colofon.html", root)
    assert not same_site("http://127.0.0.1:8800/sites/xyz/colofon.html", root)
    assert site_root_of("https://firm.be/fr/index.html") == "https://firm.be/fr/"


def test_decode_cfemail() -> None:
    assert decode_cfemail("3c55525a537c4a5952595f53125e59") == "info@veneco.be"
    assert decode_cfemail("zz") is None


def test_merge_pages_keeps_every_sighting_with_its_capture() -> None:
    a = _page("websites_constructed/veneco_colofon.html", "https://www.veneco.be/colofon")
    b = _page("websites_constructed/isbw_mentions_legales.html", "https://www.isbw.be/fr/ml/")
    fields = merge_pages([a, b], {"https://www.veneco.be/colofon": 11,
                                  "https://www.isbw.be/fr/ml/": 12})
    numbers = {v["value"]: v["found"] for v in fields["enterprise_numbers"]}
    assert list(numbers) == ["0200065765", "0200362408"]
    assert [(f["where"], f["capture_id"]) for f in numbers["0200065765"]] == [
        ("microdata:Organization.vatID", 11), ("footer", 11), ("text", 11)]
    assert numbers["0200362408"] == [
        {"url": "https://www.isbw.be/fr/ml/", "where": "text", "capture_id": 12}]
    assert [v["country"] for v in fields["vats"]] == ["BE", "PL"]
    assert fields["language"] in ("fr", "nl")
