"""Which SNS refusals mean "this number cannot be texted" (email only) and which are real failures."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from therapy_booking.adapters.sns_sms import SnsSmsSender
from therapy_booking.domain.notifications import InvalidPhoneNumber, Sms


class RefusingSns:
    def __init__(self, code: str, message: str) -> None:
        self.error = ClientError({"Error": {"Code": code, "Message": message}}, "Publish")

    def publish(self, **kwargs: Any) -> Any:
        raise self.error


def sender(code: str, message: str) -> SnsSmsSender:
    sns = RefusingSns(code, message)
    return SnsSmsSender(client=lambda: sns)  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(
    "message",
    [
        "Invalid parameter: PhoneNumber Reason: +4470 is not valid to publish to",
        "Phone number does not meet the E164 format",
    ],
)
def test_a_refused_number_means_email_only_and_the_error_does_not_quote_it(message: str) -> None:
    # Given SNS refusing the number / When a text is sent / Then it is InvalidPhoneNumber, without the number
    with pytest.raises(InvalidPhoneNumber) as refused:
        sender("InvalidParameter", message).send(Sms("+4470", "hello"))
    assert "+4470" not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("InvalidParameter", "Invalid parameter: MessageAttributes"),
        ("Throttling", "Rate exceeded"),
    ],
)
def test_other_refusals_are_failures_to_retry(code: str, message: str) -> None:
    with pytest.raises(ClientError):
        sender(code, message).send(Sms("+447700900001", "hello"))
