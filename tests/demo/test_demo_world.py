"""The demo world: deterministic, valid identifiers, real postcodes, the five fraud patterns."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz
from stdnum.eu import vat

from demo.kbo_export import write_kbo_opendata
from demo.numbers import is_valid_enterprise_number
from demo.pages.jobs import ad_page
from demo.pages.kbo import enterprise_page
from demo.places import all_places
from demo.vocab import EXPLOITATION_PHRASES, HIGH_RISK_KEYS
from demo.world import World, _Builder, build_world


def _fingerprint(w: World) -> str:
    h = hashlib.sha256()
    for i in (0, 1, 17, 150, w.n_ads - 1):
        h.update(ad_page(w.ad(i)).encode())
    for e in w.employers[:5]:
        h.update(enterprise_page(e, w.persons).encode())
    for i in (0, w.n_listings - 1):
        h.update(repr(w.listing(i).to_json()).encode())
    return h.hexdigest()


def _csv_digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.csv")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_pages_and_csv(world: World, tmp_path: Path) -> None:
    again = build_world(7, 300)
    assert _fingerprint(again) == _fingerprint(world)
    write_kbo_opendata(world, tmp_path / "a")
    write_kbo_opendata(again, tmp_path / "b")
    assert _csv_digest(tmp_path / "a") == _csv_digest(tmp_path / "b")


def test_other_seed_other_world(world: World, tmp_path: Path) -> None:
    other = build_world(8, 300)
    assert _fingerprint(other) != _fingerprint(world)
    assert {e.enterprise_number for e in other.employers} != \
        {e.enterprise_number for e in world.employers}
    write_kbo_opendata(world, tmp_path / "a")
    write_kbo_opendata(other, tmp_path / "b")
    assert _csv_digest(tmp_path / "a") != _csv_digest(tmp_path / "b")


def test_ads_do_not_depend_on_generation_order() -> None:
    a = build_world(7, 300)
    b = build_world(7, 300)
    forward = [a.ad(i) for i in range(0, 300, 7)]
    backward = [b.ad(i) for i in reversed(range(0, 300, 7))][::-1]
    assert forward == backward


def test_enterprise_numbers_are_valid_mod97(world: World) -> None:
    numbers = [e.enterprise_number for e in world.employers]
    numbers += [e.establishment_number for e in world.employers]
    numbers += [u.claimed_number for u in world.unknown_employers if u.claimed_number]
    assert len(numbers) == len(set(numbers))
    for number in numbers:
        assert re.fullmatch(r"[012]\d{9}", number)
        assert int(number[8:]) == 97 - int(number[:8]) % 97, number
    assert all(is_valid_enterprise_number(e.enterprise_number) for e in world.employers)
    assert not any(world.employer(u.claimed_number) for u in world.unknown_employers
                   if u.claimed_number)


def test_foreign_vat_numbers_are_valid(world: World) -> None:
    countries = Counter()
    for firm in world.foreign_firms:
        assert vat.is_valid(firm.vat), firm.vat
        assert firm.vat[:2] == firm.country
        countries[firm.country] += 1
    assert set(countries) == {"PL", "RO", "BG", "PT"}


def test_postcodes_and_municipalities_are_real(world: World) -> None:
    real = {(p.postcode, p.municipality_fr) for p in all_places()}
    real_nl = {(p.postcode, p.municipality_nl) for p in all_places()}
    assert ("1000", "Bruxelles") in real and ("9000", "Gent") in real_nl
    for e in world.employers:
        assert (e.address.postcode, e.address.municipality_fr) in real
        assert (e.address.postcode, e.address.municipality_nl) in real_nl
    for i in range(world.n_ads):
        ad = world.ad(i)
        assert (ad.postcode, ad.locality) in real | real_nl, (ad.postcode, ad.locality)
    for i in range(world.n_listings):
        lst = world.listing(i)
        assert (lst.postcode, lst.locality) in real | real_nl


def test_five_fraud_patterns_are_present(world: World) -> None:
    gt = world.ground_truth()
    assert gt.ads == 300 and gt.listings == 100
    # (a) employers of the register posting ads while not ONSS employers
    non_onss = {world.ad(i).employer_number for i in range(world.n_ads)
                if world.ad(i).employer_number
                and not world.employer(world.ad(i).employer_number).onss_employer
                and not world.employer(world.ad(i).employer_number).inactive}
    assert len(non_onss) >= 3 and gt.non_onss_employers_posting == len(non_onss)
    # (b) posts by bankrupt, stopped or struck-off enterprises, of each kind
    inactive_kinds = Counter()
    for i in range(world.n_ads):
        ad = world.ad(i)
        if ad.employer_number and world.employer(ad.employer_number).inactive:
            e = world.employer(ad.employer_number)
            inactive_kinds["struck" if e.struck_off_reason else e.juridical_situation] += 1
    assert gt.inactive_posts >= 3
    assert {"050", "052", "012", "struck"} <= set(inactive_kinds)
    # (c) exploitation: wording in the three languages, pay far below the minimum
    exploit = [world.ad(i) for i in range(world.n_ads) if world.ad(i).exploitation]
    assert len(exploit) >= 3 and gt.exploitation_ads == len(exploit)
    worded = Counter(ad.language for ad in exploit
                     if any(p in ad.description for p in EXPLOITATION_PHRASES[ad.language]))
    assert set(worded) == {"fr", "nl", "en"}
    assert sum(ad.below_minimum_wage for ad in exploit) >= 3
    for ad in exploit:
        low_pay = (ad.salary_value or 99) < 8 or (ad.salary_unit == "MONTH"
                                                  and (ad.salary_value or 9999) <= 1000)
        assert low_pay or any(p in ad.description for p in EXPLOITATION_PHRASES[ad.language])
    assert gt.exploitation_listings >= 3
    # (d) carousels
    assert gt.carousels >= 3
    # (e) foreign firms posting for work in Belgium
    foreign = [world.ad(i) for i in range(world.n_ads) if world.ad(i).kind_of_poster == "foreign"]
    assert len(foreign) >= 3 and all(ad.country == "BE" and ad.foreign_vat for ad in foreign)
    assert any(ad.company_number and ad.foreign_vat[2:] in ad.company_number.replace(" ", "")
               for ad in foreign)


def test_carousel_chains(world: World) -> None:
    assert len(world.carousels) >= 3
    for chain in world.carousels:
        assert 2 <= len(chain.enterprise_numbers) <= 4
        companies = [world.employer(n) for n in chain.enterprise_numbers]
        for company in companies:
            assert chain.person_id in {f.person_id for f in company.directors}
        *old, new = companies
        assert all(c.juridical_situation in ("050", "052") for c in old)
        assert new.status == "AC" and new.juridical_situation == "000"
        starts = [c.start_date for c in companies]
        assert starts == sorted(starts)
    # directors shared between healthy firms exist too, and are not carousels
    persons = Counter(f.person_id for e in world.employers for f in e.directors
                      if e.carousel_id is None)
    assert any(n >= 2 for n in persons.values())


def test_mostly_clean_ads_in_three_languages(world: World) -> None:
    gt = world.ground_truth()
    share = {k: v / gt.ads for k, v in gt.ads_by_language.items()}
    assert 0.30 <= share["fr"] <= 0.50 and 0.30 <= share["nl"] <= 0.50
    assert 0.12 <= share["en"] <= 0.28
    assert gt.exploitation_ads / gt.ads < 0.15
    assert gt.ads_by_kind["register"] > gt.ads / 2
    assert gt.ads_by_kind["unknown"] >= 20
    clean_sectors = Counter(world.ad(i).sector for i in range(world.n_ads)
                            if not world.ad(i).exploitation)
    assert any(clean_sectors[k] for k in HIGH_RISK_KEYS)
    bad = [world.ad(i) for i in range(world.n_ads) if world.ad(i).exploitation]
    assert sum(ad.sector in HIGH_RISK_KEYS for ad in bad) / len(bad) > 0.6


def test_register_names_are_written_in_varied_ways(world: World) -> None:
    written = [(world.ad(i).employer_name, world.employer(world.ad(i).employer_number).name)
               for i in range(world.n_ads) if world.ad(i).kind_of_poster == "register"]
    exact = sum(w == n for w, n in written)
    assert 0 < exact < len(written) / 2
    texts = " ".join(w for w, _ in written)
    assert re.search(r"\b(BV|SRL)\b", texts) and re.search(r"\b(BVBA|SPRL)\b", texts)
    assert re.search(r"\b[A-Z]\.[A-Z]\.", texts)  # dotted forms: B.V.B.A., S.A.
    assert any(w.isupper() for w, _ in written)
    # the variants stay recognisable
    assert all(fuzz.token_set_ratio(w.lower(), n.lower()) >= 50 or len(w) <= 5
               for w, n in written)
    numbered = [world.ad(i).company_number for i in range(world.n_ads)
                if world.ad(i).kind_of_poster == "register" and world.ad(i).company_number]
    assert len({re.sub(r"[\d]", "9", n) for n in numbered}) >= 6  # varied number formats


def test_size_100000_serves_its_last_ad() -> None:
    big = build_world(7, 100_000)
    html = ad_page(big.ad(99_999))
    assert big.n_ads == 100_000 and big.n_listings == 33_333
    assert 'class="job-title"' in html
    assert big.listing(33_332).id == 33_332
    assert len(big.employers) - len(big.letterbox) - len(big.young) == 6000
    assert len(big.letterbox) == 40 and len(big.young) == 50


def _peak_kib(build: bool) -> int:
    code = ("import resource; from demo.world import build_world; from demo.pages.jobs import "
            "ad_page; w = build_world(7, 100_000 if BUILD else 30); ad_page(w.ad(w.n_ads - 1)); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)").replace(
                "BUILD", str(build))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2], timeout=60)
    return int(out.stdout.strip())


def test_size_100000_is_memory_light() -> None:
    """The 100,000-ad world costs little more memory than a tiny one (pages are lazy)."""
    extra_kib = _peak_kib(True) - _peak_kib(False)
    assert extra_kib < 64 * 1024, f"{extra_kib / 1024:.0f} MiB more than a 30-ad world"


def test_same_pages_in_another_process(world: World) -> None:
    """No salted ``hash()`` sneaks in: another interpreter with another hash seed agrees."""
    code = ("import hashlib; from demo.world import build_world; from demo.pages.jobs import "
            "ad_page; w = build_world(7, 300); "
            "print(hashlib.sha256(''.join(ad_page(w.ad(i)) for i in range(300)).encode())"
            ".hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2], timeout=60, env=env)
    here = hashlib.sha256("".join(ad_page(world.ad(i)) for i in range(300)).encode())
    assert out.stdout.strip() == here.hexdigest()


def test_letterbox_address_and_young_firms_hiring(world: World) -> None:
    """The scenarios of the ``domiciliation`` and ``recent_enterprise_many_ads`` rules."""
    domiciled = [world.employer(n) for n in world.letterbox]
    assert len(domiciled) >= 12
    seats = {(e.address.street_fr, e.address.house_number, e.address.postcode)
             for e in domiciled}
    assert len(seats) == 1  # one seat, each firm in its own box
    assert len({e.address.box for e in domiciled}) == len(domiciled)
    assert all(not e.inactive for e in domiciled)
    posting = {world.ad(i).employer_number for i in range(world.n_ads)} & set(world.letterbox)
    assert len(posting) == 2
    today = date(2025, 9, 15)
    assert len(world.young) >= 2
    for number in world.young:
        firm = world.employer(number)
        assert not firm.inactive and (today - firm.start_date).days < 365
        ads = [world.ad(i) for i in range(world.n_ads) if world.ad(i).employer_number == number]
        assert len(ads) >= 3
        assert all((ad.date_posted - firm.start_date).days < 365 for ad in ads)


def test_scenarios_leave_the_rest_of_the_world_unchanged() -> None:
    """The scenario firms draw from their own stream: every other employer, ad and listing is
    what the same seed and size give without them."""
    world = build_world(7, 300)
    bare = _Builder(7, 300)
    bare.build_register()
    bare.build_others()
    bare.build_pools()
    bare.build_plans()  # no scenario firms: their ads plan nothing
    plain = bare.world
    scenario = set(world.letterbox) | set(world.young)
    assert not plain.letterbox and not plain.young
    assert [e for e in world.employers if e.enterprise_number not in scenario] == plain.employers
    pinned = {i for i in range(world.n_ads) if world.ad(i).employer_number in scenario}
    assert len(pinned) >= 2 * 2 + 3 * len(world.young)
    for i in range(world.n_ads):
        if i not in pinned:
            assert world.ad(i) == plain.ad(i), i
    assert all(world.listing(i) == plain.listing(i) for i in range(world.n_listings))
