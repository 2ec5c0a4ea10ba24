"""The `SmsSender` port on Amazon SNS: a transactional text published straight to a phone number.

SNS refusing the number itself (InvalidParameter, InvalidParameterValue: not a number it can
text) becomes `InvalidPhoneNumber`, so the party gets the email alone; the error is re-raised
without SNS's message, which may quote the number. Anything else (throttling, an outage)
propagates: the send counts as failed and its record is retried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from therapy_booking.adapters.aws_clients import sns_client
from therapy_booking.domain.notifications import InvalidPhoneNumber, Sms

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

UNUSABLE_NUMBER = frozenset({"InvalidParameter", "InvalidParameterValue"})
TRANSACTIONAL: Mapping[str, MessageAttributeValueTypeDef] = {
    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
}


class SnsSmsSender:
    def __init__(self, client: Callable[[], SNSClient] = sns_client) -> None:
        self._client = client

    def send(self, sms: Sms) -> None:
        from botocore.exceptions import ClientError

        try:
            self._client().publish(PhoneNumber=sms.to, Message=sms.text, MessageAttributes=TRANSACTIONAL)
        except ClientError as error:
            details = error.response.get("Error", {})
            about_the_number = "phonenumber" in str(details.get("Message", "")).lower().replace(" ", "")
            if details.get("Code") in UNUSABLE_NUMBER and about_the_number:
                raise InvalidPhoneNumber("SNS cannot text this phone number") from None
            raise
