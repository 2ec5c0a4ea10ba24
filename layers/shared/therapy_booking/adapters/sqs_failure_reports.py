"""Failures of single items reported to a dead-letter queue (SQS), one message per item."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from therapy_booking.adapters.aws_clients import sqs_client

if TYPE_CHECKING:
    from therapy_booking.settings import FailureReportSettings


class SqsFailureReports:
    """`FailureReports` on an SQS queue: the message names the source, the item's id and the error class."""

    def __init__(self, settings: FailureReportSettings) -> None:
        self._queue_url = settings.dead_letter_queue_url

    def report(self, source: str, item_id: str, error_type: str) -> None:
        body = {"source": source, "item_id": item_id, "error_type": error_type}
        sqs_client().send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(body))
