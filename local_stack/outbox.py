"""What SES and SNS (moto) were asked to send: the local stack's outbox."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import RawMessage, ses_backends
from moto.sns.models import sns_backends


def _email_from_raw(raw: RawMessage) -> dict[str, Any]:
    data = raw.raw_data.encode() if isinstance(raw.raw_data, str) else raw.raw_data
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = [
        {"filename": part.get_filename(), "content_type": part.get_content_type()}
        for part in message.iter_attachments()
    ]
    recipients = [address.addr_spec for header in message.get_all("to") or [] for address in header.addresses]
    if not recipients:  # no To header: the envelope's recipients
        recipients = [address for _, address in getaddresses(list(raw.destinations)) if address]
    return {
        "to": recipients,
        "subject": str(message.get("subject", "")),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else None,
        "attachments": attachments,
    }


def sent(region: str) -> dict[str, list[dict[str, Any]]]:
    emails = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages:
        if isinstance(message, RawMessage):
            emails.append(_email_from_raw(message))
        elif hasattr(message, "body"):
            destinations = message.destinations
            emails.append(
                {
                    "to": list(destinations.get("ToAddresses", [])),
                    "subject": message.subject,
                    "text": message.body,
                    "html": None,
                    "attachments": [],
                }
            )
    sms_sent = sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.values()
    sms = [{"to": number, "text": text} for number, text in sms_sent]
    return {"emails": emails, "sms": sms}


def clear(region: str) -> None:
    ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages.clear()
    sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.clear()
