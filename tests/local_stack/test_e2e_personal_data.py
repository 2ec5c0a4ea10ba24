"""End to end over HTTP on the local stack (issue 14): a client books, exports their data, erases it; the
therapist of the cancelled session is emailed about the cancellation; afterwards the export holds nothing
personal: no profile, no assessment, the session as kept for the accounts (cancelled, amounts, no attendees)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.local_stack.running_stack import Http, running_stack
from tests.local_stack.test_e2e_assessment import answers, new_client
from tests.local_stack.test_e2e_standing import book, free_starts, new_therapist

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def http() -> Iterator[Http]:
    with running_stack() as process:
        yield Http(process.base_url)


def emails_to(http: Http, address: str) -> list[dict[str, object]]:
    return [email for email in http.get("/dev/outbox").json()["emails"] if address in email["to"]]


def test_a_client_exports_then_erases_their_data_and_the_therapist_is_told(http: Http) -> None:
    # Given a client with an assessment and a confirmed session ahead
    therapist_id, therapist = new_therapist(http, "erasure")
    therapist_email = f"{therapist_id}@demo.invalid"
    client_id, client = new_client(http)
    assert http.put("/clients/me/assessment", {"answers": answers(http, client)}, token=client).status == 200
    session = book(http, therapist_id, client, free_starts(http, therapist_id, client)[0])
    assert http.post(f"/sessions/{session['session_id']}/confirm", token=therapist).status == 200
    # When they export their data / Then it holds their profile, assessment and session
    exported = http.get("/clients/me/export", token=client)
    assert exported.status == 200, exported.body
    data = exported.json()
    assert data["profile"]["email"] == f"{client_id}@demo.invalid"
    assert data["assessment"]["client_id"] == client_id
    assert [s["session_id"] for s in data["sessions"]] == [session["session_id"]]
    # When they erase it / Then 204, and the therapist is emailed the client's cancellation
    told_before = len(emails_to(http, therapist_email))
    assert http.delete("/clients/me", token=client).status == 204
    told = emails_to(http, therapist_email)
    assert len(told) == told_before + 1
    assert "cancel" in str(told[-1]["subject"]).lower()
    # And the export afterwards holds nothing personal: the session as kept, cancelled by the client
    after = http.get("/clients/me/export", token=client)
    assert after.status == 200, after.body
    kept = after.json()
    assert (kept["profile"], kept["assessment"], kept["reservations"]) == (None, None, [])
    [cancelled] = kept["sessions"]
    assert (cancelled["status"], cancelled["cancelled_by"], cancelled["attendees"]) == ("cancelled", "client", [])
    assert cancelled["price"] == session["price"]
    assert "Demo Client" not in json.dumps(kept) and f"{client_id}@demo.invalid" not in json.dumps(kept)
    # And a second erasure is 204 too
    assert http.delete("/clients/me", token=client).status == 204
