"""A message that can never be sent, through the whole product on the local stack: its record is
retried as the template's event source mapping says, then lands in the notifications' dead-letter
queue, while the other records of its batch are delivered, once each."""

from __future__ import annotations

from typing import Any
from unittest import mock

from local_stack import demo
from local_stack.runtime import LocalStack
from tests.local_stack.test_offer_expiry import api, free_starts
from therapy_booking.adapters.ses_email import SesEmailSender
from therapy_booking.domain.model import Actor, Role
from therapy_booking.domain.notifications import Email
from therapy_booking.wiring import container

THERAPIST = Actor(demo.THERAPIST.sub, frozenset({Role.THERAPIST}))
CLIENT_EMAIL = str(demo.CLIENT_PROFILE["email"])


def book(stack: LocalStack, start: Any) -> str:
    status, body = api(
        stack,
        "POST",
        "/sessions",
        demo.CLIENT,
        {
            "therapist_id": demo.THERAPIST.sub,
            "start": start.isoformat(),
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Demo Client"],
        },
    )
    assert status == 201, body
    session_id: str = body["session_id"]
    return session_id


def test_a_record_that_always_fails_goes_to_the_dead_letter_queue_and_its_batch_mates_are_delivered(
    stack: LocalStack,
) -> None:
    # Given two bookings, their therapist already told
    starts = free_starts(stack)
    poisoned, healthy = book(stack, starts[10]), book(stack, starts[20])
    sent_before = len(stack.outbox()["emails"])
    # And an email provider that refuses every message about the first session, whatever the retry
    real_send = SesEmailSender.send

    def refusing(sender: SesEmailSender, email: Email) -> None:
        if poisoned in email.text:
            raise ConnectionError("the provider refuses this message")
        real_send(sender, email)

    # When the therapist confirms both before the stream is read, so both records arrive in one batch
    with mock.patch.object(SesEmailSender, "send", refusing):
        with stack.lock:
            container.sessions.confirm(THERAPIST, poisoned)
            container.sessions.confirm(THERAPIST, healthy)
        stack.settle()

    # Then the healthy session's client got exactly one confirmation, and nobody got the poisoned one
    new_emails = stack.outbox()["emails"][sent_before:]
    assert [(e["to"], healthy in e["text"]) for e in new_emails] == [([CLIENT_EMAIL], True)]
    # And the batch from the poisoned record on went to the notifications' dead-letter queue after its
    # retries (as Lambda reports it: from the first failed record to the end of the batch; the healthy
    # record in it was delivered above, once, on the first attempt and skipped on every retry)
    letters = [d for d in stack.dead_letters if d["function"] == "NotificationsFunction"]
    assert len(letters) == 1
    (letter,) = letters
    assert letter["destination"].endswith(":NotificationsDeadLetterQueue")
    assert letter["condition"] == "RetryAttemptsExhausted"
    assert letter["approximate_invoke_count"] == 1 + 5  # the first attempt and MaximumRetryAttempts
    assert [r["dynamodb"]["NewImage"]["session_id"]["S"] for r in letter["records"]] == [poisoned, healthy]
    # And the other consumer (schedules) was not held up by it
    assert not [d for d in stack.dead_letters if d["function"] != "NotificationsFunction"]
