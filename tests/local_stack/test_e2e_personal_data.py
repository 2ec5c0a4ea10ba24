"""End to end over HTTP on the local stack (issue 14): a client books, exports their data, erases it; the
therapist of the cancelled session is emailed about the cancellation; afterwards the export holds nothing
personal: no profile, no assessment, the session as kept for the accounts (cancelled, amounts, no attendees).
Against a deployment (tests/support/target.py) everything but the email is checked: the outbox is read last."""

from __future__ import annotations

import json

import pytest

from tests.local_stack.running_stack import Http
from tests.local_stack.test_e2e_assessment import answers
from tests.local_stack.test_e2e_standing import book, free_starts
from tests.support.target import Target, new_client, new_therapist

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def http(target: Target) -> Http:
    return target.http


def emails_to(target: Target, address: str) -> list[dict[str, object]]:
    return [email for email in target.outbox()["emails"] if address in email["to"]]


@pytest.mark.needs_outbox
def test_a_client_exports_then_erases_their_data_and_the_therapist_is_told(target: Target, http: Http) -> None:
    # Given a client with an assessment and a confirmed session ahead
    therapist_user = new_therapist(target, "erasure")
    therapist_id, therapist = therapist_user.sub, therapist_user.token
    therapist_email = therapist_user.email
    client_user = new_client(target)
    client_id, client = client_user.sub, client_user.token
    assert http.put("/clients/me/assessment", {"answers": answers(http, client)}, token=client).status == 200
    session = book(http, therapist_id, client, free_starts(target, therapist_id, client)[0])
    assert http.post(f"/sessions/{session['session_id']}/confirm", token=therapist).status == 200
    # When they export their data / Then it holds their profile, assessment and session
    exported = http.get("/clients/me/export", token=client)
    assert exported.status == 200, exported.body
    data = exported.json()
    assert data["profile"]["email"] == client_user.email
    assert data["assessment"]["client_id"] == client_id
    assert [s["session_id"] for s in data["sessions"]] == [session["session_id"]]
    # When they erase it / Then 204 (the therapist's emails counted before: checked at the end)
    told_before = len(emails_to(target, therapist_email)) if target.reads_outbox else 0
    assert http.delete("/clients/me", token=client).status == 204
    # And the export afterwards holds nothing personal: the session as kept, cancelled by the client
    after = http.get("/clients/me/export", token=client)
    assert after.status == 200, after.body
    kept = after.json()
    assert (kept["profile"], kept["assessment"], kept["reservations"]) == (None, None, [])
    [cancelled] = kept["sessions"]
    assert (cancelled["status"], cancelled["cancelled_by"], cancelled["attendees"]) == ("cancelled", "client", [])
    assert cancelled["price"] == session["price"]
    assert "Demo Client" not in json.dumps(kept) and client_user.email not in json.dumps(kept)
    # And the therapist sees it as kept: cancelled, without attendees
    theirs = http.get(f"/sessions/{session['session_id']}", token=therapist)
    assert (theirs.status, theirs.json()["status"], theirs.json()["attendees"]) == (200, "cancelled", [])
    # And a second erasure is 204 too
    assert http.delete("/clients/me", token=client).status == 204
    # And the therapist was emailed the client's cancellation, once
    told = emails_to(target, therapist_email)
    assert len(told) == told_before + 1
    assert "cancel" in str(told[-1]["subject"]).lower()
