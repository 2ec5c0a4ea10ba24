"""An unexpected error is a 500 problem, and its log line says where it failed, never what the error said
(an error's message may quote the request: pydantic's quote the input)."""

from __future__ import annotations

import json
import logging

import pytest

from therapy_booking.api.problems import unexpected_problem


def test_an_unexpected_error_is_logged_with_its_class_and_place_but_not_its_message(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an error whose message quotes personal data from the request
    request = {"email": "sam@example.com", "note": "feeling low"}
    try:
        raise ValueError(f"input_value={request}")
    except ValueError as error:
        # When it reaches the API's last resort
        with caplog.at_level(logging.DEBUG):
            answer = unexpected_problem(error)

    # Then the caller gets a 500 problem without detail of the cause
    assert answer.status_code == 500
    assert json.loads(str(answer.body))["code"] == "internal_error"
    # And the log names the error's class and where it happened, and nothing it said
    logged = capsys.readouterr().out + caplog.text + "".join(str(vars(r)) for r in caplog.records)
    assert "ValueError" in logged and "test_unexpected_errors.py" in logged
    assert "sam@example.com" not in logged and "feeling low" not in logged
