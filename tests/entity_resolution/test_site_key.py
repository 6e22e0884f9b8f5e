"""A firm's website as an identifier: its own domain, or its page on a shared site.

Thousands of small firms have no site of their own but a Facebook page or a site-builder site;
job boards and directories host pages of thousands more. Their domains identify no one: two
firms with Facebook pages must not match, cluster or share a contact because of
``facebook.com``."""

from __future__ import annotations

import pytest

from entity_resolution.cluster import ClusterItem, cluster_records
from entity_resolution.identifiers import find_identifiers, normalize_website, site_key
from entity_resolution.matcher import Matcher, MatchQuery
from entity_resolution.register import RegisterEntry


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.Bouw-Peeters.be/jobs", "bouw-peeters.be"),
        ("shop.bouw-peeters.be", "bouw-peeters.be"),
        ("fb.com/BouwPeeters?ref=bookmarks", "facebook.com/bouwpeeters"),
        ("https://m.facebook.com/BouwPeeters/", "facebook.com/bouwpeeters"),
        ("https://www.facebook.com/profile.php?id=100012345&ref=a",
         "facebook.com/profile.php?id=100012345"),
        ("https://www.facebook.com/pages/Bouw-Peeters/12345",
         "facebook.com/pages/bouw-peeters/12345"),
        ("www.linkedin.com/company/bouw-peeters/about", "linkedin.com/company/bouw-peeters"),
        ("twitter.com/BouwP", "x.com/bouwp"),
        ("youtube.com/@bouwp", "youtube.com/@bouwp"),
        ("bouwpeeters.wixsite.com/home", "bouwpeeters.wixsite.com"),
        ("https://sites.google.com/view/bouwpeeters/contact", "sites.google.com/view/bouwpeeters"),
        # no firm: a network's home, a share button, a post, a job board, a shortener, a map
        ("facebook.com", None),
        ("https://www.facebook.com/sharer/sharer.php?u=https://bouw-peeters.be", None),
        ("https://www.facebook.com/profile.php", None),
        ("linkedin.com/feed/update/123", None),
        ("youtube.com/watch?v=abc", None),
        ("x.com/intent/tweet?text=hi", None),
        ("wixsite.com", None),
        ("https://be.indeed.com/viewjob?jk=1", None),
        ("www.stepstone.be/job/123", None),
        ("bit.ly/3abc", None),
        ("maps.google.com/?q=Gent", None),
        ("geen website", None),
        (None, None),
    ],
)
def test_site_key(url: str | None, key: str | None) -> None:
    assert site_key(url) == key
    assert normalize_website(url) == key


def test_scanned_text_keeps_pages_and_drops_shared_sites() -> None:
    found = find_identifiers(
        "Volg ons op www.facebook.com/bouwpeeters of https://bouwpeeters.wixsite.com/site, "
        "solliciteer via www.indeed.com/job/123 of op www.bouw-peeters.be. "
        "Deel: https://www.facebook.com/sharer/sharer.php?u=0477123456"
    )
    assert found.websites == ("facebook.com/bouwpeeters", "bouwpeeters.wixsite.com",
                              "bouw-peeters.be")
    # the sentence's punctuation is not part of the page
    assert find_identifiers("Volg ons: www.facebook.com/BouwPeeters.").websites == (
        "facebook.com/bouwpeeters",)
    assert find_identifiers("Zie linkedin.com/company/bouw-peeters, of bel.").websites == (
        "linkedin.com/company/bouw-peeters",)
    # the share link is still read as a link: its digits are not a phone number
    assert found.phones == ()


def _matcher() -> Matcher:
    entries = [
        RegisterEntry("0403170701", "Bouw Peeters", postcode="9000",
                      website="https://www.facebook.com/BouwPeeters"),
        RegisterEntry("0202239951", "Bouw Peeters & Zonen", postcode="2000",
                      website="https://www.facebook.com/peeterszonen"),
        RegisterEntry("0417497106", "Schilderwerken Janssens", postcode="3000",
                      website="www.facebook.com/janssensschilder"),
    ]
    return Matcher((e.enterprise_number, e) for e in entries)


def test_the_same_network_page_is_evidence_the_network_is_not() -> None:
    matcher = _matcher()
    found = matcher.match(MatchQuery(name="Peeters Bouw",
                                     website="fb.com/BouwPeeters?ref=ts", source="the listing"))
    best = found[0]
    assert best.key == "0403170701"
    reasons = {f.name: f.reason for f in best.explanation}
    assert reasons["domain"] == (
        "The website page facebook.com/bouwpeeters in the listing is the register's website.")
    others = {c.key: {f.name for f in c.explanation} for c in found[1:]}
    assert all("domain" not in names for names in others.values())
    # another firm's page: no domain evidence, and the painter is never a candidate through it
    other = matcher.match(MatchQuery(name="Peeters Bouw", website="facebook.com/bouwpeters2"))
    assert all("domain" not in {f.name for f in c.explanation} for c in other)
    assert "0417497106" not in {c.key for c in other}


def test_a_shared_site_in_the_query_brings_no_candidates() -> None:
    matcher = _matcher()
    # a name that matches nothing, and the network's own address: nothing found through it
    assert matcher.match(MatchQuery(name="Xyzzy Quux", website="https://www.facebook.com/")) == []
    assert matcher.match(MatchQuery(name="Xyzzy Quux",
                                    text="Deel op https://www.facebook.com/sharer.php?u=x")) == []


def test_listings_on_different_network_pages_are_not_one_provider() -> None:
    items = [
        ClusterItem(key=1, kind="listing", name="Poetsdienst Anna",
                    websites=("https://www.facebook.com/poetsanna",)),
        ClusterItem(key=2, kind="listing", name="Klusjesman Ben",
                    websites=("https://www.facebook.com/klusjesben",)),
        ClusterItem(key=3, kind="listing", name="Anna Poetst",
                    websites=("fb.com/PoetsAnna",)),
        ClusterItem(key=4, kind="listing", name="Tuinier Carl",
                    websites=("https://www.facebook.com/sharer/sharer.php?u=x",)),
        ClusterItem(key=5, kind="listing", name="Dakwerken Dirk",
                    websites=("https://www.facebook.com/sharer/sharer.php?u=y",)),
    ]
    result = cluster_records(items)
    assert [c.keys for c in result.clusters] == [(1, 3)]
    assert result.clusters[0].links[0].method == "website"


def test_the_network_graph_never_links_through_a_shared_site() -> None:
    """The graph room keys a website by its host and imports no other room: its own list of
    shared sites must stay that of the matcher's, and a shared host links no one."""
    from entity_resolution import identifiers
    from storage.graph import SHARED_PATH_HOSTS, SHARED_SUBDOMAIN_HOSTS, canonical

    assert SHARED_SUBDOMAIN_HOSTS == identifiers._SUBDOMAIN_HOSTS
    assert SHARED_PATH_HOSTS == identifiers.NOT_A_FIRM_SITE | set(identifiers._PROFILE_HOSTS)
    assert canonical("website", "https://www.Bouw-Peeters.be/jobs") == "bouw-peeters.be"
    assert canonical("website", "anna.wixsite.com/home") == "anna.wixsite.com"
    for shared in ("https://www.facebook.com/PoetsAnna", "m.facebook.com/x", "wixsite.com",
                   "https://be.indeed.com/cmp/x", "sites.google.com/view/anna",
                   "maps.google.be/?q=x"):
        assert canonical("website", shared) is None, shared
