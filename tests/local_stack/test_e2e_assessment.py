"""End to end over HTTP on the local stack (issue 14): who can read a client's self-assessment.

The client fills it in; then each kind of caller asks for it: the client, a therapist the client booked with
(before and after that session is cancelled), a therapist they did not book, an admin, another client, and a
request without a token. Only the client and their therapist ever see it; everyone else gets the same 404 as for
a client without an assessment (no existence leak), and no token is 401 from the authorizer. Every caller is a user
the target makes (tests/support/target.py): the same tests run against a deployment.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.local_stack.running_stack import Http
from tests.local_stack.test_e2e_standing import book, free_starts
from tests.support.target import Target, new_client, new_therapist

pytestmark = pytest.mark.e2e

SELF_HARM_ANSWER = 1


@pytest.fixture(scope="module")
def http(target: Target) -> Http:
    return target.http


def answers(http: Http, token: str) -> list[dict[str, Any]]:
    """Every question of the questionnaire as served, answered 2, except PHQ-9 item 9 (thoughts of self-harm)."""
    reply = http.get("/assessment/questions", token=token)
    assert reply.status == 200, reply.body
    questions = [q["question_id"] for i in reply.json()["instruments"] for q in i["questions"]]
    return [{"question_id": q, "answer": SELF_HARM_ANSWER if q == "phq9_9" else 2} for q in questions]


def test_only_the_client_and_a_therapist_they_booked_with_read_the_assessment(target: Target, http: Http) -> None:
    # Given a client who filled in the questionnaire, PHQ-9 item 9 answered above 0
    client_user = new_client(target)
    client_id, client = client_user.sub, client_user.token
    put = http.put(
        "/clients/me/assessment", {"answers": answers(http, client), "concerns": "Panic at work"}, token=client
    )
    assert put.status == 200, put.body
    mine = put.json()
    assert mine["scores"] == {
        "phq9": {"total": 17, "band": "moderately_severe"},
        "gad7": {"total": 14, "band": "moderate"},
    }
    # Then the client is shown the crisis guidance with their answers, and reads the same back
    assert mine["self_harm_flag"] is True and "116 123" in mine["crisis_guidance"]
    assert http.get("/clients/me/assessment", token=client).json() == mine
    # Given a therapist the client booked with, another therapist, an admin and another client
    booked_therapist = new_therapist(target, "assessed")
    booked_id, booked = booked_therapist.sub, booked_therapist.token
    stranger = new_therapist(target, "stranger").token
    admin = target.new_user("admin", "admin-assessment").token
    other_client = new_client(target).token
    path = f"/clients/{client_id}/assessment"
    # Before any booking, not even their future therapist reads it
    assert http.get(path, token=booked).status == 404
    session = book(http, booked_id, client, free_starts(target, booked_id, client)[0])
    # When each asks for it
    seen = {
        "therapist booked": http.get(path, token=booked),
        "another therapist": http.get(path, token=stranger),
        "admin": http.get(path, token=admin),
        "another client": http.get(path, token=other_client),
        "the client by id": http.get(path, token=client),
        "no token": http.get(path),
    }
    # Then only the therapist booked reads it: the answers, the scores and the flag, without the crisis text
    assert seen["therapist booked"].status == 200, seen["therapist booked"].body
    theirs = seen["therapist booked"].json()
    assert theirs == {**mine, "crisis_guidance": None}
    assert theirs["self_harm_flag"] is True
    for who in ("another therapist", "admin", "another client", "the client by id"):
        assert seen[who].status == 404, who
        assert seen[who].json()["detail"] == "There is no assessment you can read for that client.", who
    assert seen["no token"].status == 401
    # And a client without an assessment gives the therapist the same 404 as a stranger gets
    other_id = new_client(target).sub
    assert http.get(f"/clients/{other_id}/assessment", token=booked).json() == seen["admin"].json()
    # When the session is cancelled / Then the therapist they booked with still reads it (any status counts)
    cancelled = http.post(f"/sessions/{session['session_id']}/cancel", {"reason": "changed plans"}, token=client)
    assert cancelled.status == 200, cancelled.body
    assert http.get(path, token=booked).status == 200


def test_a_bad_answer_is_refused_naming_it_and_nothing_is_stored(target: Target, http: Http) -> None:
    client = new_client(target).token
    complete = answers(http, client)
    refused = {
        "unknown": [*complete, {"question_id": "phq9_10", "answer": 1}],
        "out of range": [a if a["question_id"] != "gad7_2" else {**a, "answer": 4} for a in complete],
        "missing": [a for a in complete if a["question_id"] != "phq9_4"],
    }
    named = {"unknown": "answers[16].question_id", "out of range": "gad7_2", "missing": "phq9_4"}
    for kind, body in refused.items():
        reply = http.put("/clients/me/assessment", {"answers": body}, token=client)
        assert (reply.status, reply.json()["code"]) == (422, "validation_error"), kind
        assert named[kind] in reply.json()["detail"], kind
    # Nothing was stored; a complete one is then accepted (a refused request followed by more work)
    assert http.get("/clients/me/assessment", token=client).status == 404
    assert http.put("/clients/me/assessment", {"answers": complete}, token=client).status == 200
