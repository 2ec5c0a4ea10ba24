"""The table's DynamoDB stream read from moto, as Lambda hands records to a stream consumer."""

from __future__ import annotations

import json
from typing import Any

import boto3

from local_stack.streams import StreamReader, lambda_record, matches
from tests.support.template import load_template, resources_of_type
from therapy_booking.domain.model import Session


def template_filters(function: str) -> list[Any]:
    """The FilterCriteria patterns of the function's DynamoDB event source in template.yaml."""
    events = resources_of_type("AWS::Serverless::Function", load_template())[function]["Properties"]["Events"]
    (stream,) = [event for event in events.values() if event["Type"] == "DynamoDB"]
    return [json.loads(f["Pattern"]) for f in stream["Properties"].get("FilterCriteria", {}).get("Filters", [])]


class TableStream:
    """Every record written since it was opened (TRIM_HORIZON), in Lambda's record shape; read as the local
    stack reads it, so a rolled-back transaction on moto does not stop it (see `local_stack.streams`)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self.region = dynamodb.meta.region_name
        self._reader = StreamReader(boto3.client("dynamodbstreams", region_name=self.region), self.arn)

    def new_records(self) -> list[dict[str, Any]]:
        """The records written since the last call."""
        records: list[dict[str, Any]] = []
        self._reader.read(lambda page: records.extend(lambda_record(raw, self.region, self.arn) for raw in page))
        return records

    def new_records_for(self, function: str) -> list[dict[str, Any]]:
        """The new records that the function's template filter lets through, as Lambda would deliver them."""
        patterns = template_filters(function)
        return [r for r in self.new_records() if not patterns or any(matches(p, r) for p in patterns)]


def record_of(records: list[dict[str, Any]], session: Session, event_type: str) -> dict[str, Any]:
    """The one stream record of `session`'s outbox item of `event_type`."""
    (found,) = [
        r
        for r in records
        if r["dynamodb"]["Keys"]["pk"]["S"] == f"SESSION#{session.session_id}"
        and r["dynamodb"]["NewImage"]["event_type"]["S"] == event_type
    ]
    return found
