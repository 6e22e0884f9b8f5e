"""Reviewers confirm / reject / mark unsure the match behind a signal (page form and API twin):
what is stored, what is audited, who may do it, and that detection obeys the verdict."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from signals.engine import detect_record_id
from storage import queries
from storage.audit import verify_chain
from storage.models import AuditEvent, Capture, Judgement, Match, Record, Signal, SignalEvidence
from tests.review.conftest import csrf_from

NOTE_XSS = "<script>window.__judged=1</script> the ad's phone is another firm's"


def match_id_of(engine, world) -> int:
    with Session(engine) as s:
        match = s.exec(select(Match).where(Match.record_id == world.record_id)).one()
        return match.id


def page_token(client: TestClient, world) -> str:
    return csrf_from(client.get(f"/signals/{world.signal_id}").text)


def api_token(client: TestClient) -> str:
    return client.get("/api/session").json()["csrf_token"]


def stored(engine) -> tuple[list[Judgement], list[AuditEvent]]:
    with Session(engine) as s:
        judgements = list(s.exec(select(Judgement).order_by(Judgement.id)).all())
        events = list(s.exec(select(AuditEvent).where(AuditEvent.action == "match.judgement")
                             .order_by(AuditEvent.id)).all())
        assert verify_chain(s) == []
        return judgements, events


def test_page_form_stores_each_verdict_audits_and_shows_it(reviewer_client: TestClient, world,
                                                          engine) -> None:
    match_id = match_id_of(engine, world)
    page = reviewer_client.get(f"/signals/{world.signal_id}").text
    assert f'action="/signals/{world.signal_id}/matches/{match_id}/judgement"' in page
    for label in ("Confirm match", "Reject match", "Unsure"):
        assert f">{label}</button>" in page
    assert "No human verdict yet" in page
    token = csrf_from(page)
    url = f"/signals/{world.signal_id}/matches/{match_id}/judgement"
    for verdict, note in (("positive", "number on the ad"), ("negative", ""),
                          ("unsure", "ask the inspector")):
        response = reviewer_client.post(url, data={"verdict": verdict, "note": note,
                                               "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/signals/{world.signal_id}#match-{match_id}"
    judgements, events = stored(engine)
    assert [j.verdict for j in judgements] == ["positive", "negative", "unsure"]
    for j in judgements:
        assert j.record_fingerprint == "fp-17"
        assert j.employer_number == "0123456749" and j.employer_id == world.employer_id
        assert j.user == "rita" and j.matcher_version == "matcher-1.0"
    assert [j.note for j in judgements] == ["number on the ad", "", "ask the inspector"]
    assert [(e.user, e.target, e.details["verdict"], e.details["match_id"]) for e in events] == [
        ("rita", f"match:{match_id}", v, match_id) for v in ("positive", "negative", "unsure")]
    assert events[0].details["note"] == "number on the ad"
    assert events[0].details["employer_number"] == "0123456749"

    shown = reviewer_client.get(f"/signals/{world.signal_id}").text
    assert '<strong class="latest-verdict">Unsure</strong>' in shown
    assert 'class="verdict vd-unsure"' in shown
    history = shown.split('class="data small judgement-history"', 1)[1].split("</table>", 1)[0]
    assert history.count("<tr>") == 4  # header + three verdicts, newest first
    assert history.index("Unsure") < history.index("Match rejected") < history.index(
        "Match confirmed")
    assert history.count("<td>rita</td>") == 3 and "matcher-1.0" in history
    with Session(engine) as s:
        assert [j.verdict for j in queries.judgements_for_record(s, world.record_id)] == [
            "unsure", "negative", "positive"]


def test_api_stores_each_verdict_and_the_signal_shows_them(reviewer_client: TestClient, world,
                                                           engine) -> None:
    match_id = match_id_of(engine, world)
    headers = {"X-CSRF-Token": api_token(reviewer_client)}
    answers = []
    for verdict in ("negative", "unsure", "positive"):
        response = reviewer_client.post(f"/api/matches/{match_id}/judgement",
                                    json={"verdict": verdict, "note": f"via api {verdict}"},
                                    headers=headers)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    assert answers[0]["verdict"] == "negative" and answers[0]["note"] == "via api negative"
    assert answers[0]["record_fingerprint"] == "fp-17"
    assert answers[0]["employer_number"] == "0123456749"
    assert answers[0]["employer_id"] == world.employer_id
    assert answers[0]["user"] == "rita" and answers[0]["matcher_version"] == "matcher-1.0"
    judgements, events = stored(engine)
    assert [j.id for j in judgements] == [a["id"] for a in answers]
    assert [e.details["verdict"] for e in events] == ["negative", "unsure", "positive"]
    assert all(e.user == "rita" and e.target == f"match:{match_id}" for e in events)

    [row] = reviewer_client.get(f"/api/signals/{world.signal_id}").json()["matches"]
    assert row["latest_verdict"] == "positive"
    assert [j["verdict"] for j in row["judgements"]] == ["positive", "unsure", "negative"]
    assert row["judgements"][0]["at"] >= row["judgements"][2]["at"]

    spec = reviewer_client.get("/openapi.json").json()
    op = spec["paths"]["/api/matches/{match_id}/judgement"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/JudgementIn")
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/JudgementPublic")
    assert "400" in op["responses"] and "403" in op["responses"]


def test_csrf_is_required(reviewer_client: TestClient, world, engine) -> None:
    match_id = match_id_of(engine, world)
    page = reviewer_client.post(f"/signals/{world.signal_id}/matches/{match_id}/judgement",
                            data={"verdict": "negative"}, follow_redirects=False)
    assert page.status_code == 403
    api = reviewer_client.post(f"/api/matches/{match_id}/judgement", json={"verdict": "negative"})
    assert api.status_code == 403 and api.json()["error"]["type"] == "CsrfError"
    forged = reviewer_client.post(f"/api/matches/{match_id}/judgement",
                                  json={"verdict": "negative"},
                                  headers={"X-CSRF-Token": "not-the-token"})
    assert forged.status_code == 403
    assert stored(engine) == ([], [])


def test_anonymous_users_cannot_judge(client: TestClient, world, engine) -> None:
    match_id = match_id_of(engine, world)
    token = csrf_from(client.get("/login").text)  # a session with a token, but nobody logged in
    page = client.post(f"/signals/{world.signal_id}/matches/{match_id}/judgement",
                       data={"verdict": "negative", "csrf_token": token},
                       follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    api = client.post(f"/api/matches/{match_id}/judgement", json={"verdict": "negative"},
                      headers={"X-CSRF-Token": token})
    assert api.status_code == 401 and api.json()["error"]["type"] == "LoginRequired"
    assert stored(engine) == ([], [])


def test_unknown_verdicts_and_matches_are_refused(reviewer_client: TestClient, world,
                                                  engine) -> None:
    match_id = match_id_of(engine, world)
    headers = {"X-CSRF-Token": api_token(reviewer_client)}
    bad = reviewer_client.post(f"/api/matches/{match_id}/judgement",
                           json={"verdict": "maybe"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json() == {"error": {
        "type": "InvalidJudgement",
        "message": "unknown verdict 'maybe'; use one of positive, negative, unsure"}}
    missing = reviewer_client.post(f"/api/matches/{match_id}/judgement", json={"note": "x"},
                               headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["type"] == "ValidationError"
    too_long = reviewer_client.post(f"/api/matches/{match_id}/judgement",
                                json={"verdict": "unsure", "note": "x" * 2001}, headers=headers)
    assert too_long.status_code == 400
    nowhere = reviewer_client.post("/api/matches/9999/judgement", json={"verdict": "negative"},
                               headers=headers)
    assert nowhere.status_code == 404
    assert nowhere.json()["error"]["message"] == "match 9999 does not exist"
    page = reviewer_client.post(f"/signals/{world.signal_id}/matches/{match_id}/judgement",
                            data={"verdict": "<b>yes</b>", "csrf_token": page_token(
                                reviewer_client, world)}, follow_redirects=False)
    assert page.status_code == 400 and "&lt;b&gt;yes&lt;/b&gt;" in page.text
    assert stored(engine) == ([], [])


def _new_sighting(engine, world, url: str) -> int:
    """The job ad seen again in a new capture (as a re-crawl would record it)."""
    with Session(engine) as s:
        original = s.get(Capture, world.capture_id)
        data = original.model_dump(exclude={"id"})
        copy = Capture(**{**data, "url": url, "final_url": url})
        s.add(copy)
        s.flush()
        record = s.get(Record, world.record_id)
        record.last_capture_id = copy.id
        s.add(record)
        s.commit()
        return copy.id


def _detect(engine, world) -> None:
    with Session(engine) as s:
        detect_record_id(s, world.record_id)
        s.commit()


def _signal_state(engine, signal_id: int) -> tuple[int, str, set[int | None]]:
    with Session(engine) as s:
        signal = s.get(Signal, signal_id)
        captures = set(s.exec(select(SignalEvidence.capture_id)
                              .where(SignalEvidence.signal_id == signal_id)).all())
        return signal.occurrences, signal.status, captures


def test_rejected_match_stops_feeding_its_signal(reviewer_client: TestClient, world,
                                                 engine) -> None:
    # The world's ad is firmly matched (by number) to an enterprise that is not an ONSS employer.
    with Session(engine) as s:
        found = [sig for sig in detect_record_id(s, world.record_id)
                 if sig.rule == "unregistered_employer"]
        [signal] = found
        assert signal.employer_id == world.employer_id
        queries.set_signal_status(s, signal.id, "in_review", "rita")
        s.commit()
        signal_id = signal.id
    second = _new_sighting(engine, world, "http://jobs.example.test/jobs/ad/17?seen=2")
    _detect(engine, world)  # control: while the match stands, a new sighting feeds the signal
    assert _signal_state(engine, signal_id) == (2, "in_review", {world.capture_id, second})

    match_id = match_id_of(engine, world)
    response = reviewer_client.post(f"/signals/{signal_id}/matches/{match_id}/judgement",
                                data={"verdict": "negative", "note": "homonym",
                                      "csrf_token": page_token(reviewer_client, world)},
                                follow_redirects=False)
    assert response.status_code == 303
    # The existing signal is left as the humans set it: same status, same evidence.
    assert _signal_state(engine, signal_id) == (2, "in_review", {world.capture_id, second})

    third = _new_sighting(engine, world, "http://jobs.example.test/jobs/ad/17?seen=3")
    _detect(engine, world)
    assert _signal_state(engine, signal_id) == (2, "in_review", {world.capture_id, second})
    with Session(engine) as s:
        cited = s.exec(select(SignalEvidence.signal_id)
                       .join(Signal, Signal.id == SignalEvidence.signal_id)
                       .where(SignalEvidence.capture_id == third,
                              Signal.rule == "unregistered_employer")).all()
        assert cited == []

    # The latest verdict wins: confirming the match again lets the next sighting count.
    token = api_token(reviewer_client)
    confirmed = reviewer_client.post(f"/api/matches/{match_id}/judgement",
                                 json={"verdict": "positive"}, headers={"X-CSRF-Token": token})
    assert confirmed.status_code == 200
    assert _signal_state(engine, signal_id) == (3, "in_review",
                                                {world.capture_id, second, third})


def test_note_is_escaped_on_the_page(reviewer_client: TestClient, world, engine) -> None:
    match_id = match_id_of(engine, world)
    response = reviewer_client.post(f"/signals/{world.signal_id}/matches/{match_id}/judgement",
                                data={"verdict": "negative", "note": NOTE_XSS,
                                      "csrf_token": page_token(reviewer_client, world)})
    assert response.status_code == 200  # the redirect was followed back to the signal
    assert "<script>window.__judged=1</script>" not in response.text
    assert "&lt;script&gt;window.__judged=1&lt;/script&gt;" in response.text
    assert '<strong class="latest-verdict">Match rejected</strong>' in response.text
    with Session(engine) as s:
        assert s.exec(select(Judgement.note)).one() == NOTE_XSS  # stored as typed


def test_page_refuses_a_match_that_is_not_behind_the_signal(reviewer_client: TestClient, world,
                                                            engine) -> None:
    match_id = match_id_of(engine, world)
    with Session(engine) as s:
        linked = {e.signal_id for e in s.exec(select(SignalEvidence).where(
            SignalEvidence.record_id == world.record_id)).all()}
        other = next(sig.id for sig in s.exec(select(Signal)).all() if sig.id not in linked)
    response = reviewer_client.post(f"/signals/{other}/matches/{match_id}/judgement",
                                data={"verdict": "negative",
                                      "csrf_token": page_token(reviewer_client, world)},
                                follow_redirects=False)
    assert response.status_code == 404
    assert stored(engine) == ([], [])
