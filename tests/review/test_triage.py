"""The triage workbench: queue filters and sorts, bulk actions, assignment and comments —
pages and API, each change audited; the change feed; the permission edges."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import AuditEvent, Employer, Signal, SignalComment
from tests.review.conftest import XSS_SCRIPT, csrf_from


def _token(client) -> str:  # noqa: ANN001
    return client.get("/api/session").json()["csrf_token"]


def _post(client, url: str, body: dict):  # noqa: ANN001, ANN201
    return client.post(url, json=body, headers={"X-CSRF-Token": _token(client)})


def _events(engine, action: str) -> list[AuditEvent]:  # noqa: ANN001
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)).all())


def test_queue_filters_and_sorts(user_client, world, engine) -> None:
    with Session(engine) as s:
        emp = s.get(Employer, world.employer_id)
        emp.nace_codes = ["81210"]  # N: administrative and support (cleaning)
        s.add(emp)
        s.commit()
    api = lambda q: user_client.get(f"/api/signals?{q}").json()  # noqa: E731
    assert api("")["total"] == 4
    by_sector = api("sector=N")
    assert by_sector["total"] == 2
    assert {i["employer_id"] for i in by_sector["items"]} == {world.employer_id}
    assert api("sector=F")["total"] == 0
    assert api("first_from=2024-05-08&first_to=2024-05-09")["total"] == 2
    assert api("last_to=2024-04-30")["total"] == 1
    assert [i["rule"] for i in api("sort=rule")["items"]] == [
        "foreign_vat", "low_wage", "low_wage", "unregistered_employer"]
    assert [i["occurrences"] for i in api("sort=occurrences")["items"]] == [4, 3, 2, 1]
    assert api("assignee=-")["total"] == 4 and api("assignee=@me")["total"] == 0
    assert user_client.get("/api/signals?sector=Z").status_code == 400
    assert user_client.get("/api/signals?first_from=yesterday").status_code == 400
    page = user_client.get("/signals?sector=N&sort=first_seen")
    assert page.status_code == 200 and page.text.count('class="select-signal"') == 2


def test_assign_comment_and_mine(user_client, world, engine) -> None:
    sid = world.signal_id
    r = _post(user_client, f"/api/signals/{sid}/assign", {"assignee": "alice"})
    assert r.status_code == 200 and r.json()["assignee"] == "alice"
    assert _post(user_client, f"/api/signals/{sid}/assign",
                 {"assignee": "nobody-here"}).status_code == 400
    mine = user_client.get("/signals?mine=1").text
    assert mine.count('class="select-signal"') == 1 and f'value="{sid}"' in mine
    assert user_client.get("/api/signals?assignee=@me").json()["items"][0]["id"] == sid
    r = _post(user_client, f"/api/signals/{sid}/comments", {"text": f"Called them {XSS_SCRIPT}"})
    assert r.status_code == 200
    page = user_client.get(f"/signals/{sid}")
    assert "Called them &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert XSS_SCRIPT not in page.text.split('id="comments"')[1].split("</section>")[0]
    form = user_client.post(f"/signals/{sid}/comments",
                            data={"text": "second", "csrf_token": csrf_from(page.text)},
                            follow_redirects=False)
    assert form.status_code == 303
    assert [c["text"] for c in user_client.get(f"/api/signals/{sid}/comments").json()] == [
        f"Called them {XSS_SCRIPT}", "second"]
    assert [e.details["to"] for e in _events(engine, "signal.assign")] == ["alice"]
    comments = _events(engine, "signal.comment")
    assert [e.details["text"] for e in comments] == [f"Called them {XSS_SCRIPT}", "second"]
    assert _post(user_client, f"/api/signals/{sid}/comments", {"text": ""}).status_code == 422


def test_bulk_actions_pages_and_api(user_client, world, engine) -> None:
    ids = [world.signal_ids["low_wage"], world.signal_ids["foreign_vat"]]
    page = user_client.get("/signals")
    token = csrf_from(page.text)
    r = user_client.post("/signals/bulk", data={
        "signal_id": [str(i) for i in ids], "action": "assign", "assignee": "@me",
        "csrf_token": token, "back": "/signals?sort=rule"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signals?sort=rule"
    r = _post(user_client, "/api/signals/bulk", {"signal_ids": ids, "action": "in_review"})
    assert r.status_code == 200 and sorted(r.json()["changed"]) == sorted(ids)
    with Session(engine) as s:
        rows = s.exec(select(Signal).where(Signal.id.in_(ids))).all()
        assert {(x.assignee, x.status) for x in rows} == {("alice", "in_review")}
    statuses = _events(engine, "signal.status")
    assert sorted(int(e.target.split(":")[1]) for e in statuses) == sorted(ids)
    # An analyst may not dismiss, even in bulk; a dossier takes them (duplicates reported).
    r = _post(user_client, "/api/signals/bulk",
              {"signal_ids": ids, "action": "dismiss", "reason": "fine"})
    assert r.status_code == 403
    dossier = _post(user_client, "/api/dossiers", {"title": "Bulk"}).json()["id"]
    r = _post(user_client, "/api/signals/bulk",
              {"signal_ids": ids, "action": "dossier", "dossier_id": dossier})
    assert sorted(r.json()["changed"]) == sorted(ids)
    r = _post(user_client, "/api/signals/bulk",
              {"signal_ids": ids, "action": "dossier", "dossier_id": dossier})
    assert r.json()["changed"] == [] and sorted(r.json()["unchanged"]) == sorted(ids)
    assert _post(user_client, "/api/signals/bulk",
                 {"signal_ids": [ids[0], 999999], "action": "in_review"}).status_code == 404


def test_bulk_dismiss_needs_a_reason_and_is_all_or_nothing(reviewer_client, world,
                                                           engine) -> None:
    ids = [world.signal_ids["low_wage"], world.signal_ids["foreign_vat"]]
    _post(reviewer_client, "/api/signals/bulk", {"signal_ids": ids[:1], "action": "in_review"})
    r = _post(reviewer_client, "/api/signals/bulk",
              {"signal_ids": ids, "action": "dismiss", "reason": "  "})
    assert r.status_code == 409
    r = _post(reviewer_client, "/api/signals/bulk",
              {"signal_ids": ids, "action": "dismiss", "reason": "duplicates"})
    assert r.status_code == 409  # foreign_vat is still new: new → dismissed is not allowed
    with Session(engine) as s:
        assert s.get(Signal, ids[0]).status == "in_review"  # nothing changed
    _post(reviewer_client, "/api/signals/bulk", {"signal_ids": ids, "action": "in_review"})
    r = _post(reviewer_client, "/api/signals/bulk",
              {"signal_ids": ids, "action": "dismiss", "reason": "duplicates"})
    assert r.status_code == 200 and sorted(r.json()["changed"]) == sorted(ids)
    reasons = [e.details["reason"] for e in _events(engine, "signal.status")
               if e.details["to"] == "dismissed"]
    assert reasons == ["duplicates", "duplicates"]


def test_change_feed_cursor(user_client, world, engine) -> None:
    first = user_client.get("/api/signals/changes?since=0").json()
    assert len(first["items"]) == 4 and first["more"] is False
    seqs = [i["changed_seq"] for i in first["items"]]
    assert seqs == sorted(seqs) and first["next_cursor"] == seqs[-1]
    cursor = first["next_cursor"]
    assert user_client.get(f"/api/signals/changes?since={cursor}").json()["items"] == []
    _post(user_client, f"/api/signals/{world.signal_id}/assign", {"assignee": "rita"})
    _post(user_client, f"/api/signals/{world.signal_id}/comments", {"text": "no change"})
    nxt = user_client.get(f"/api/signals/changes?since={cursor}").json()
    assert [i["id"] for i in nxt["items"]] == [world.signal_id]
    assert nxt["items"][0]["assignee"] == "rita" and nxt["next_cursor"] > cursor
    with Session(engine) as s:  # a detector's write (a new sighting) moves it too
        sig = s.get(Signal, world.signal_ids["foreign_vat"])
        sig.occurrences += 1
        s.add(sig)
        s.commit()
    later = user_client.get(f"/api/signals/changes?since={nxt['next_cursor']}").json()
    assert [i["id"] for i in later["items"]] == [world.signal_ids["foreign_vat"]]
    paged = user_client.get("/api/signals/changes?since=0&limit=3").json()
    assert len(paged["items"]) == 3 and paged["more"] is True
    with Session(engine) as s:
        assert s.exec(select(SignalComment)).first() is not None


def test_api_pages_by_cursor(user_client, world, engine) -> None:
    """``next_cursor`` walks the whole queue in the order of ``offset`` paging; a foreign
    cursor, or a cursor with an offset, is the client's error."""
    api = lambda q: user_client.get(f"/api/signals?{q}")  # noqa: E731
    for sort in ("last_seen", "severity", "district", "assignee"):
        whole = [i["id"] for i in api(f"sort={sort}&limit=50").json()["items"]]
        assert len(whole) == 4
        seen, cursor = [], None
        while True:
            body = api(f"sort={sort}&limit=3" + (f"&cursor={cursor}" if cursor else "")).json()
            seen += [i["id"] for i in body["items"]]
            if (cursor := body["next_cursor"]) is None:
                break
        assert seen == whole, sort
        assert [i["id"] for i in api(f"sort={sort}&limit=3&offset=3").json()["items"]] == whole[3:]
    cursor = api("sort=rule&limit=1").json()["next_cursor"]
    assert api(f"sort=severity&cursor={cursor}").status_code == 400
    assert api(f"sort=rule&cursor={cursor}&offset=2").status_code == 400
    assert api("cursor=bm90IG91cnM").json()["error"]["type"] == "ReviewError"
