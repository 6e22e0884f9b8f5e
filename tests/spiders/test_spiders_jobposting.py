"""parse_job_page and parse_job_feed on real pages (tests/fixtures/realworld/jobs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spiders import ParseError
from spiders.parsers.jobfeed import parse_job_feed
from spiders.parsers.jobposting import parse_job_page

JOBS = Path(__file__).parents[1] / "fixtures" / "realworld" / "jobs"
REED_URL = "https://www.reed.co.uk/jobs/software-developer/52507327"
INDEED_URL = "https://uk.indeed.com/viewjob?jk=14ffe2be7ba7b921"
SEEK_URL = "https://www.seek.com.au/job/81010412"

# Indeed keeps everything in the window._initialData script (no schema.org, no useful classes).
_STATE = "js:window._initialData:"
INDEED_FALLBACKS = {
    "title": _STATE + "jobInfoWrapperModel.jobInfoModel.jobInfoHeaderModel.jobTitle",
    "employer_name": _STATE + "jobInfoWrapperModel.jobInfoModel.jobInfoHeaderModel.companyName",
    "locality": _STATE + "jobInfoWrapperModel.jobInfoModel.jobInfoHeaderModel.formattedLocation",
    "salary_text": _STATE + "salaryInfoModel.salaryText",
    "salary_min": _STATE + "salaryInfoModel.salaryMin",
    "description": _STATE + "jobInfoWrapperModel.jobInfoModel.sanitizedJobDescription",
    "employment_type": _STATE + "jobInfoWrapperModel.jobInfoModel.jobMetadataHeaderModel.jobType",
    "external_id": _STATE + "hostQueryExecutionResult.data.jobData.results[0].job.key",
    "country": _STATE + "hostQueryExecutionResult.data.jobData.results[0].job.location.countryCode",
    "language": _STATE + "language",
}
SEEK_FALLBACKS = {
    "title": "h1[data-automation=job-detail-title]",
    "employer_name": "[data-automation=advertiser-name]",
    "locality": "[data-automation=job-detail-location]",
    "employment_type": "[data-automation=job-detail-work-type]",
    "description": "[data-automation=jobAdDetails]",
}


def test_reed_microdata_jobposting() -> None:
    result = parse_job_page(
        (JOBS / "reed_details.html").read_bytes(),
        REED_URL,
        {"salary_text": "span[data-qa=salaryLbl]"},
    )
    fields, prov = result["fields"], result["provenance"]
    assert fields["title"] == "Software Developer"
    assert fields["employer_name"] == "Test Company"
    assert (fields["locality"], fields["postcode"], fields["country"]) == (
        "Manchester",
        "M31HJ",
        "GB",
    )
    assert (fields["salary_min"], fields["salary_max"]) == ("35000.00", "45000.00")
    assert (fields["salary_currency"], fields["salary_unit"]) == ("GBP", "YEAR")
    assert fields["salary_text"] == "£35,000 - £45,000 per annum"
    assert fields["date_posted"] == "2024-04-19"
    assert fields["employment_type"] == "FULL_TIME"
    assert fields["description"] == "Software Developer This is a test description."
    assert prov["employer_name"] == "microdata:hiringOrganization.name"
    assert prov["salary_min"] == "microdata:baseSalary.value.minValue"
    assert prov["salary_text"] == "css:span[data-qa=salaryLbl]"
    assert result["language"] == "en"


@pytest.mark.parametrize("name", ["indeed_details.html", "indeed_details_no_visa.html"])
def test_indeed_without_schema_org_uses_fallbacks(name: str) -> None:
    result = parse_job_page((JOBS / name).read_bytes(), INDEED_URL, INDEED_FALLBACKS)
    fields, prov = result["fields"], result["provenance"]
    assert fields["title"] == "Full Stack Developer"
    assert fields["employer_name"] == "Example.co.uk"
    assert fields["salary_text"] == "From £55,000 a year"
    assert fields["salary_min"] == "55000.0"
    assert fields["locality"] == "Remote"
    assert fields["employment_type"] == "Permanent, Full-time"
    assert fields["external_id"] == "14ffe2be7ba7b921"
    assert fields["country"] == "GB"
    assert prov["salary_text"] == "js:window._initialData.salaryInfoModel.salaryText"
    assert result["language"] == "en"
    # the page state holds the description as HTML (with an onclick): text only is kept
    assert fields["description"] == "test description"


def test_indeed_without_fallbacks_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no schema.org JobPosting") as info:
        parse_job_page((JOBS / "indeed_details.html").read_bytes(), INDEED_URL, {})
    assert INDEED_URL in str(info.value)


def test_seek_ld_json_is_not_a_jobposting() -> None:
    html = (JOBS / "seek_job.html").read_bytes()
    with pytest.raises(ParseError) as info:
        parse_job_page(html, SEEK_URL, None)
    assert SEEK_URL in str(info.value) and "JobPosting" in str(info.value)
    result = parse_job_page(html, SEEK_URL, SEEK_FALLBACKS)
    assert result["fields"]["title"] == "Senior Platform Engineer | Remote | Australia"
    assert result["fields"]["employer_name"] == "iterate"
    assert result["fields"]["locality"] == "Melbourne VIC (Remote)"
    assert result["fields"]["employment_type"] == "Full time"
    assert result["fields"]["description"].startswith("I'm representing a growing, seed-stage")
    assert all(p.startswith("css:") for p in result["provenance"].values())


def test_missing_title_names_url_and_selector() -> None:
    page = "<html><body><div class='job-company'>ACME</div></body></html>"
    with pytest.raises(ParseError, match=r"http://x/ad/1: job title: .*h1\.job-title.*found 0"):
        parse_job_page(
            page, "http://x/ad/1", {"title": "h1.job-title", "employer_name": ".job-company"}
        )


# -- JSON-LD, built from the real Recruityard feed items ----------------------------------------


def _feed() -> list[dict]:
    return parse_job_feed((JOBS / "feed.xml").read_bytes())


def _jsonld_page(job: dict, wrap: str) -> str:
    f = job["fields"]
    posting: dict = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": f["title"],
        "description": f"<p>{f['description'][:200]}</p>",
        "identifier": {"@type": "PropertyValue", "name": "Recruityard", "value": f["external_id"]},
        "datePosted": f["date_posted"],
        "employmentType": [f["employment_type"]],
        "hiringOrganization": {
            "@type": "Organization",
            "name": f["employer_name"],
            "sameAs": "https://www.recruityard.com",
        },
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": f["locality"],
                "postalCode": f.get("postcode"),
                "addressCountry": f["country"],
            },
        },
    }
    if "salary_min" in f:  # a few feed items give no numeric range
        posting["baseSalary"] = {
            "@type": "MonetaryAmount",
            "currency": "EUR",
            "value": {
                "@type": "QuantitativeValue",
                "minValue": float(f["salary_min"]),
                "maxValue": float(f["salary_max"]),
                "unitText": "MONTH",
            },
        }
    website = {"@type": "WebSite", "url": "https://www.recruityard.com"}
    data: object = {
        "plain": posting,
        "graph": {"@context": "https://schema.org", "@graph": [website, posting]},
        "list": [website, posting],
    }[wrap]
    return (
        f"<html lang='en'><head><script type='application/ld+json'>{json.dumps(data)}"
        "</script></head><body><h1>ignored</h1></body></html>"
    )


@pytest.mark.parametrize("wrap", ["plain", "graph", "list"])
def test_jsonld_jobposting_from_feed_items(wrap: str) -> None:
    job = _feed()[0]
    result = parse_job_page(_jsonld_page(job, wrap), job["url"])
    fields, prov = result["fields"], result["provenance"]
    assert fields["title"] == "Content Moderation with Ukrainian"
    assert fields["external_id"] == "CC-0506-25"
    assert fields["employer_name"] == "Recruityard"
    assert fields["employer_url"] == "https://www.recruityard.com"
    assert (fields["locality"], fields["postcode"], fields["country"]) == ("Lisbon", "1000", "PT")
    assert (fields["salary_min"], fields["salary_max"]) == ("1050.0", "1306.0")
    assert (fields["salary_currency"], fields["salary_unit"]) == ("EUR", "MONTH")
    assert fields["employment_type"] == "FULL_TIME"
    assert fields["description"].startswith("We are recruiting on behalf of our client")
    assert "<p>" not in fields["description"]
    assert prov["salary_max"] == "jsonld:baseSalary.value.maxValue"
    assert prov["external_id"] == "jsonld:identifier.value"


def test_every_feed_item_round_trips_through_jsonld() -> None:
    jobs = _feed()
    for job in jobs:
        fields = parse_job_page(_jsonld_page(job, "graph"), job["url"])["fields"]
        assert fields["title"] == job["fields"]["title"]
        assert fields["country"] == job["fields"]["country"]
    assert len(jobs) == 88


def test_salary_as_number_and_as_text() -> None:
    base = {
        "@type": "JobPosting",
        "title": "Nettoyeur",
        "description": "Nettoyage de bureaux",
        "hiringOrganization": "Net & Co",
    }
    page = "<script type='application/ld+json'>{}</script>"
    as_number = dict(base, baseSalary={"currency": "EUR", "value": 14.5, "unitText": "HOUR"})
    fields = parse_job_page(page.format(json.dumps(as_number)), "http://x/1")["fields"]
    assert (fields["salary_min"], fields["salary_max"], fields["salary_unit"]) == (
        "14.5",
        "14.5",
        "HOUR",
    )
    assert fields["employer_name"] == "Net & Co"
    as_text = dict(base, baseSalary="cash 6€/h", inLanguage="fr-BE")
    result = parse_job_page(page.format(json.dumps(as_text)), "http://x/2")
    assert result["fields"]["salary_text"] == "cash 6€/h"
    assert result["language"] == "fr"


def test_feed_dialects_agree() -> None:
    indeed_style = _feed()
    jooble_style = parse_job_feed((JOBS / "jooble.xml").read_bytes())
    assert len(jooble_style) == len(indeed_style) == 88
    first = jooble_style[0]["fields"]
    assert first["external_id"] == "CC-0506-25"
    assert first["title"] == indeed_style[0]["fields"]["title"]
    assert (first["salary_min"], first["salary_max"]) == ("1050", "1306")
    assert jooble_style[0]["provenance"]["external_id"] == "feed:@id"
    single = [j["fields"] for j in indeed_style if j["fields"]["salary_text"] == "2600"]
    assert single and (single[0]["salary_min"], single[0]["salary_max"]) == ("2600", "2600")
    countries = {j["fields"]["country"] for j in indeed_style}
    assert countries == {"PT", "GR", "BG", "PL", "ES"}


def test_feed_language_does_not_take_portuguese_for_french() -> None:
    jobs = {j["fields"]["external_id"]: j for j in _feed()}
    portuguese = [j for j in jobs.values() if j["fields"]["title"].startswith("Apoio ao Cliente")]
    assert portuguese and all(j["language"] is None for j in portuguese)
    assert jobs["CC-0506-25"]["language"] == "en"


def test_bad_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no <job>"):
        parse_job_feed(b"<?xml version='1.0'?><source><publisher>x</publisher></source>")
    with pytest.raises(ParseError, match="well-formed"):
        parse_job_feed(b"<source><job>")
