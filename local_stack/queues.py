"""SQS event sources, emulated: a function's `Events: Type: SQS` receives its queue's messages in batches.

As Lambda does: up to `BatchSize` messages per invocation, in Lambda's SQS record shape; with
`ReportBatchItemFailures`, only the messages the function reports come back (after the queue's visibility
timeout, in real time), the others are deleted; a function error leaves the whole batch. The queue's own
`RedrivePolicy` (moto) moves a message received `maxReceiveCount` times to its dead-letter queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass
class QueueConsumer:
    function: str
    queue_url: str
    batch_size: int = 10
    report_batch_item_failures: bool = False

    @classmethod
    def from_event(cls, function: str, queue_url: str, properties: dict[str, Any]) -> QueueConsumer:
        return cls(
            function=function,
            queue_url=queue_url,
            batch_size=min(int(properties.get("BatchSize", 10)), 10),
            report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
        )

    def poll(self, sqs: Any, invoke: Invoke, region: str) -> int:
        """Deliver what the queue holds now, batch by batch; the number of messages handled."""
        handled = 0
        while True:
            answer = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size, AttributeNames=["All"]
            )
            messages = answer.get("Messages", [])
            if not messages:
                return handled
            records = [self._record(message, region) for message in messages]
            failed = self._failed(invoke, records)
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += len(messages) - len(failed)
            if failed:
                return handled  # the failed ones come back after their visibility timeout

    def _failed(self, invoke: Invoke, records: list[dict[str, Any]]) -> set[str]:
        ids = {record["messageId"] for record in records}
        try:
            response = invoke(self.function, {"Records": records})
        except Exception:
            return ids
        if not self.report_batch_item_failures or not isinstance(response, dict):
            return set()
        reported = {
            failure.get("itemIdentifier")
            for failure in response.get("batchItemFailures") or []
            if isinstance(failure, dict)
        }
        return ids if reported - ids else {identifier for identifier in reported if isinstance(identifier, str)}

    def _record(self, message: dict[str, Any], region: str) -> dict[str, Any]:
        body = message["Body"]
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 (SQS's own checksum, not security)
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{region}:000000000000:{self.queue_url.rsplit('/', 1)[-1]}",
            "awsRegion": region,
        }
