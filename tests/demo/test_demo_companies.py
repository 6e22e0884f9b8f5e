"""The demo's company websites (/sites/): deterministic, valid numbers, the fraud variants."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import phonenumbers
import pytest
from stdnum import iban as std_iban

from demo.companies import belgian_iban, cfemail, company_sites, route
from demo.numbers import dotted, is_valid_enterprise_number
from demo.server import DemoServer
from demo.world import World, build_world


def _get(server: DemoServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_sites_are_deterministic_and_cover_every_variant(world: World) -> None:
    sites = company_sites(world)
    again = company_sites(build_world(7, 300))
    assert [(s.slug, s.variant, s.shown_vat, s.iban) for s in sites] == [
        (s.slug, s.variant, s.shown_vat, s.iban) for s in again
    ]
    assert len(sites) == len([e for e in world.employers if e.website]) == 27
    variants = [s.variant for s in sites]
    assert {v: variants.count(v) for v in set(variants)} == {
        "ok": 19, "other_number": 3, "foreign_vat": 3, "no_number": 2}
    assert {s.language for s in sites} == {"fr", "nl"}
    assert sum(s.multilingual for s in sites) == 7
    assert {s.email_form for s in sites} == {"mailto", "at-dot", "cfemail", "text"}


def test_values_shown_are_valid(world: World) -> None:
    for site in company_sites(world):
        if site.shown_number:
            assert is_valid_enterprise_number(site.shown_number)
        if site.iban:
            assert std_iban.is_valid(site.iban)
        assert phonenumbers.is_valid_number(phonenumbers.parse(site.phone, "BE"))
        if site.variant == "other_number":
            assert site.shown_number != site.employer.enterprise_number
            assert world.employer(site.shown_number) is not None
        if site.variant == "foreign_vat":
            assert site.shown_number is None and site.shown_vat[:2] in {"PL", "RO", "BG", "PT"}


def test_iban_and_cfemail_helpers() -> None:
    assert belgian_iban("096", 1234567) == "BE71096123456769"  # the ISO 13616 example
    assert cfemail("a@b.be", 0x10) == "10" + "".join(f"{ord(c) ^ 0x10:02x}" for c in "a@b.be")


def test_list_page_and_home_link(server: DemoServer, world: World) -> None:
    status, html = _get(server, "/sites/")
    assert status == 200
    slugs = re.findall(r'class="site-link" href="/sites/([a-z0-9]+)/"', html)
    assert slugs == [s.slug for s in company_sites(world)]
    assert 'href="/sites/"' in _get(server, "/")[1]


def test_legal_notice_shows_what_the_variant_says(server: DemoServer, world: World) -> None:
    for site in company_sites(world):
        prefix = f"/sites/{site.slug}/" + (f"{site.language}/" if site.multilingual else "")
        legal = "mentions-legales.html" if site.language == "fr" else "colofon.html"
        status, html = _get(server, prefix + legal)
        assert status == 200, site.slug
        body = html.split("<main>", 1)[1].split("</main>", 1)[0]
        if site.shown_number:
            assert dotted(site.shown_number) in body
        elif site.shown_vat:
            assert site.shown_vat in body
        else:
            assert not re.search(r"\d{4}\.\d{3}\.\d{3}", html), site.slug
        if site.iban:
            assert site.iban[:4] + " " + site.iban[4:8] in body


def test_home_json_ld_and_404s(world: World) -> None:
    site = next(s for s in company_sites(world) if s.json_ld and s.shown_vat)
    status, html = route(world, f"/sites/{site.slug}/" + (
        f"{site.language}/" if site.multilingual else ""))
    assert status == 200
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', html).group(1))
    assert data["@type"] == "LocalBusiness" and data["vatID"] == site.shown_vat
    assert data["address"]["postalCode"] == site.employer.address.postcode
    assert route(world, "/sites/nosuchfirm/")[0] == 404
    assert route(world, f"/sites/{site.slug}/secret.html")[0] == 404
    single = next(s for s in company_sites(world) if not s.multilingual)
    assert route(world, f"/sites/{single.slug}/en/contact.html")[0] == 404


@pytest.mark.parametrize("size", [90, 1000])
def test_other_world_sizes_have_sites(size: int) -> None:
    sites = company_sites(build_world(7, size))
    assert sites and all(s.employer.website for s in sites)
