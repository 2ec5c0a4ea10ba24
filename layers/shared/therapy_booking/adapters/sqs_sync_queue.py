"""The calendar sync queue (SQS): one message per therapist whose imported calendar is due a sync."""

from __future__ import annotations

import json

from therapy_booking.adapters.aws_clients import sqs_client


class UnsentSyncs(RuntimeError):
    """SQS refused some messages of a batch (the run fails, so its schedule retries it)."""


class SqsSyncQueue:
    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    def enqueue(self, therapist_ids: list[str]) -> None:
        """At most 10 ids (SendMessageBatch's limit), one message each: `{"therapist_id": ...}`."""
        entries = [
            {"Id": str(index), "MessageBody": json.dumps({"therapist_id": therapist_id})}
            for index, therapist_id in enumerate(therapist_ids)
        ]
        answer = sqs_client().send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        if answer.get("Failed"):
            raise UnsentSyncs(f"{len(answer['Failed'])} of {len(entries)} sync requests not queued")
