"""The JSON twin under /api, its error shape, and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.review.conftest import XSS_SCRIPT


def test_signal_list_filters_and_pages(user_client: TestClient, world) -> None:
    body = user_client.get("/api/signals").json()
    assert body["total"] == 4 and body["limit"] == 50 and body["offset"] == 0
    assert [i["rule"] for i in body["items"]] == ["low_wage", "unregistered_employer",
                                                  "foreign_vat", "low_wage"]
    first = body["items"][1]
    assert first["id"] == world.signal_id
    assert first["title"].startswith(XSS_SCRIPT)  # JSON carries data as-is; pages escape it
    assert first["employer_number"] == "0123456749"
    assert first["facts"] == {"hourly": 6.0, "salary_text": "cash 6€/h"}
    assert first["last_seen"].startswith("2024-05-09T00:00:00")
    page = user_client.get("/api/signals", params={"rule": "low_wage", "limit": 1,
                                                   "offset": 1}).json()
    assert page["total"] == 2
    assert [i["title"] for i in page["items"]] == ["Cash wages offered"]
    assert user_client.get("/api/signals", params={"district": "gent"}).json()["total"] == 1
    too_many = user_client.get("/api/signals", params={"limit": 501})
    assert too_many.status_code == 422
    assert too_many.json()["error"]["type"] == "ValidationError"


def test_signal_filters_twin(user_client: TestClient) -> None:
    assert user_client.get("/api/signal-filters").json() == {
        "rules": ["foreign_vat", "low_wage", "unregistered_employer"],
        "severities": ["high", "medium", "low"],
        "statuses": ["new"],
        "districts": ["bruxelles", "gent", "liege"],
    }


def test_signal_detail_carries_the_evidence_chain(user_client: TestClient, world) -> None:
    body = user_client.get(f"/api/signals/{world.signal_id}").json()
    assert set(body) == {"signal", "employer", "matches", "evidence", "history",
                         "allowed_statuses"}
    assert body["employer"]["enterprise_number_formatted"] == "0123.456.749"
    assert body["employer"]["onss_employer"] is False
    [match] = body["matches"]
    assert match["match"]["score"] == 0.97 and match["match"]["method"] == "enterprise_number"
    assert [f["name"] for f in match["match"]["explanation"]] == ["enterprise_number", "name"]
    assert match["match"]["explanation"][0]["weight"] == 0.7
    [evidence] = body["evidence"]
    assert evidence["record"]["id"] == world.record_id
    assert evidence["record"]["provenance"]["salary_text"] == "css:.job-salary"
    [capture] = evidence["captures"]
    assert capture["id"] == world.capture_id
    assert len(capture["sha256"]) == 64
    assert capture["content_url"] == f"/captures/{world.capture_id}/content"
    assert capture["screenshot_sha256"] == world.screenshot_sha256
    assert capture["fetched_at"].startswith("2024-05-02T08:30:00")
    assert body["allowed_statuses"] == ["in_review"]


def test_capture_and_employer_twins(user_client: TestClient, world) -> None:
    cap = user_client.get(f"/api/captures/{world.capture_id}").json()
    assert cap["body_verified"] is True and cap["problem"] is None
    assert [r["id"] for r in cap["records"]] == [world.record_id]
    assert [s["id"] for s in cap["signals"]] == [world.signal_id]
    json_cap = user_client.get(f"/api/captures/{world.json_capture_id}").json()
    assert [s["id"] for s in json_cap["signals"]] == [world.signal_ids["low_wage"]]
    emp = user_client.get(f"/api/employers/{world.employer_id}").json()
    assert emp["employer"]["name"].endswith("Nettoyage Rapide SRL")
    assert [(r["person_name"], r["function"]) for r in emp["roles"]] == [("Jean Dupont",
                                                                         "Gérant")]
    assert len(emp["signals"]) == 2
    assert emp["matches"][0]["record"]["id"] == world.record_id


def test_status_change_through_the_api(reviewer_client: TestClient, world) -> None:
    token = reviewer_client.get("/api/session").json()["csrf_token"]
    url = f"/api/signals/{world.signal_id}/status"
    ok = reviewer_client.post(url, json={"status": "in_review"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["status"] == "in_review"
    no_reason = reviewer_client.post(url, json={"status": "dismissed"},
                                 headers={"X-CSRF-Token": token})
    assert no_reason.status_code == 409
    assert no_reason.json() == {"error": {"type": "InvalidStatusChange",
                                          "message": "dismissing a signal requires a reason"}}
    done = reviewer_client.post(url, json={"status": "confirmed", "reason": "Checked on site"},
                            headers={"X-CSRF-Token": token})
    assert done.json()["status"] == "confirmed"
    history = reviewer_client.get(f"/api/signals/{world.signal_id}").json()["history"]
    assert [(h["old"], h["new"], h["user"]) for h in history] == [
        ("new", "in_review", "rita"), ("in_review", "confirmed", "rita")]
    assert history[1]["reason"] == "Checked on site"


def test_api_errors_have_one_shape(user_client: TestClient) -> None:
    missing = user_client.get("/api/signals/999")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"type": "NotFoundError",
                                        "message": "signal 999 does not exist"}}
    unknown = user_client.get("/api/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "HTTPError"
    bad_id = user_client.get("/api/signals/abc")
    assert bad_id.status_code == 422 and "signal_id" in bad_id.json()["error"]["message"]


def test_openapi_documents_the_api(user_client: TestClient) -> None:
    spec = user_client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/signals", "/api/signals/{signal_id}", "/api/signals/{signal_id}/status",
                 "/api/captures/{capture_id}", "/api/employers/{employer_id}", "/api/session"):
        assert path in paths, path
    assert "post" in paths["/api/signals/{signal_id}/status"]
    assert not any(p.startswith(("/signals", "/login", "/captures")) for p in paths)
    schema = paths["/api/signals/{signal_id}"]["get"]["responses"]["200"]["content"]
    assert schema["application/json"]["schema"]["$ref"].endswith("/SignalDetailPublic")
    for name in ("SignalPublic", "SignalDetailPublic", "CapturePublic", "EmployerPublic",
                 "MatchPublic", "ErrorPublic"):
        assert name in spec["components"]["schemas"], name
    docs = user_client.get("/docs").text
    assert "<code>/api/signals/{signal_id}/status</code>" in docs
    assert 'id="schema-SignalDetailPublic"' in docs
