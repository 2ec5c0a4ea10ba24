"""Sends what it is given: an email through SES (raw MIME: text, html, an .ics attachment), an SMS through SNS."""

from __future__ import annotations

import os
from email.message import EmailMessage
from typing import Any

import boto3


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    email = event["email"]
    message = EmailMessage()
    message["From"] = f"Therapy bookings <{os.environ['EMAIL_SENDER']}>"
    message["To"] = ", ".join(email["to"])
    message["Subject"] = email["subject"]
    message.set_content(email["text"])
    message.add_alternative(email["html"], subtype="html")
    message.add_attachment(email["ics"].encode(), maintype="text", subtype="calendar", filename=email["ics_filename"])
    boto3.client("ses").send_raw_email(RawMessage={"Data": message.as_bytes()})
    boto3.client("sns").publish(PhoneNumber=event["sms"]["to"], Message=event["sms"]["text"])
