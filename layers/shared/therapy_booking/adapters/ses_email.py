"""The `EmailSender` port on Amazon SES (API v2): one raw MIME message per email.

The message has a plain-text part and its HTML alternative, then the attachments; a calendar
entry goes as `text/calendar` with the iCalendar METHOD as its `method` parameter, as calendar
clients expect of an invitation (RFC 6047). SES adds the Date and Message-ID headers.

Errors are not caught: the notification service counts a failed send as not sent, and the
record that called for it is retried (SES throttling included, once the client's own retries
are spent).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import formataddr
from typing import TYPE_CHECKING

from therapy_booking.adapters.aws_clients import ses_client
from therapy_booking.domain.notifications import Attachment, Email

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client

DISPLAY_NAME = "Therapy bookings"
CALENDAR = "text/calendar"
METHOD_LINE = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)


def calendar_method(ics: bytes) -> str | None:
    """The METHOD of an iCalendar object (REQUEST, CANCEL...), if it has one."""
    found = METHOD_LINE.search(ics)
    return found.group(1).decode("ascii").upper() if found else None


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    params: dict[str, str] = {}
    if attachment.content_type == CALENDAR:
        params["charset"] = "utf-8"
        method = calendar_method(attachment.content)
        if method:
            params["method"] = method
    message.add_attachment(
        attachment.content,
        maintype=maintype or "application",
        subtype=subtype or "octet-stream",
        filename=attachment.filename,
        params=params,
    )


def mime_message(sender: str, email: Email) -> bytes:
    """The email as SES sends it: text, its HTML alternative, then the attachments; CRLF line ends."""
    message = EmailMessage()
    message["From"] = formataddr((DISPLAY_NAME, sender))
    message["To"] = email.to
    message["Subject"] = email.subject
    message.set_content(email.text, cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    for attachment in email.attachments:
        _attach(message, attachment)
    return message.as_bytes(policy=policy.SMTP)


class SesEmailSender:
    def __init__(self, sender: str, client: Callable[[], SESV2Client] = ses_client) -> None:
        self._sender = sender
        self._client = client

    def send(self, email: Email) -> None:
        self._client().send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": [email.to]},
            Content={"Raw": {"Data": mime_message(self._sender, email)}},
        )
