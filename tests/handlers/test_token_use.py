"""Only the ID token carries a role: the Pre Token Generation trigger takes a therapist's or admin's group out of
the ID token when they have no TOTP, and a version 1 trigger cannot change the access token (which the HTTP API's
JWT authorizer also accepts). So a request made with an access token is 401, whatever groups it carries."""

from __future__ import annotations

from typing import Any

import pytest

from functions.profiles.app import lambda_handler as profiles
from tests.support.http import call, http_event


@pytest.mark.parametrize("token_use", ["access", None, "refresh"])
def test_a_token_that_is_not_an_id_token_is_refused(aws: Any, token_use: str | None) -> None:
    # Given a therapist's verified claims, from an access token (or one that does not say)
    event = http_event("GET", "/therapists/me", sub="therapist-1", role="therapist")
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    if token_use is None:
        del claims["token_use"]
    else:
        claims["token_use"] = token_use
    # When it reaches a route / Then 401, as with no token: the role is read from ID tokens only
    answer = call(profiles, event)
    assert (answer.status, answer.body["code"]) == (401, "unauthorized")


def test_the_same_claims_in_an_id_token_are_accepted(aws: Any) -> None:
    answer = call(profiles, http_event("GET", "/therapists/me", sub="therapist-1", role="therapist"))
    assert answer.status != 401
