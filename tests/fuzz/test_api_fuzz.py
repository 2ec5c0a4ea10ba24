"""The OpenAPI document tells the truth: schemathesis, as each role, finds nothing (a bounded run; `make fuzz`
runs longer and adds the coverage phase)."""

from __future__ import annotations

import pytest

from tests.fuzz import harness


@pytest.mark.e2e
def test_generated_requests_from_every_role_get_only_documented_answers() -> None:
    # Given the local stack with seeded sessions, and a token for the therapist, the client and the admin
    # When schemathesis sends each role's generated requests to every operation
    report = harness.run(
        max_examples=harness.TEST_MAX_EXAMPLES,
        seconds=harness.TEST_SECONDS,
        phases=harness.TEST_PHASES,
        seed_value=harness.TEST_SEED,
    )
    # Then no answer is a 5xx, an undocumented status or content type, or off its schema; no invalid
    # request is accepted; no operation ignores the token
    assert len(report.runs) == len(harness.ROLES)
    assert report.passed, report.summary()
