"""Failures of single items reported to a dead-letter queue (SQS), one message per item."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from therapy_booking.adapters.aws_clients import sqs_client


class SqsFailureReports:
    """`FailureReports` on an SQS queue: the message names the source, the item's id and the error class."""

    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> SqsFailureReports:
        queue_url = environ.get("DEAD_LETTER_QUEUE_URL", "")
        if not queue_url:
            raise ValueError("DEAD_LETTER_QUEUE_URL is not set")
        return cls(queue_url)

    def report(self, source: str, item_id: str, error_type: str) -> None:
        body = {"source": source, "item_id": item_id, "error_type": error_type}
        sqs_client().send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(body))
