"""The local stack's engine: moto in-process, the template's functions, clock, stream, schedules.

Everything runs under one lock: moto is not safe under concurrent requests, and
Powertools' resolvers keep the current request in process-wide state, so one
invocation at a time, as one Lambda environment per function would see.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
import logging
import os
import re
import sys
import threading
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from local_stack import outbox
from local_stack.auth import InvalidToken, LocalIssuer
from local_stack.clock import LocalClock
from local_stack.gateway import ACCOUNT_ID, http_api_event
from local_stack.queues import QueueConsumer
from local_stack.scheduler import DEFAULT_RETRIES, SchedulerEmulator
from local_stack.streams import StreamConsumer, StreamDelivery, StreamReader, lambda_record
from local_stack.template import (
    REPO_ROOT,
    TEMPLATE_PATH,
    Function,
    create_table,
    functions,
    http_routes,
    load,
    parameter_defaults,
)

log = logging.getLogger("local_stack")

AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "TherapyBookingLocal",
    "POWERTOOLS_METRICS_DISABLED": "true",  # no CloudWatch here: EMF documents would only crowd the stack's output
}
SETTLE_ROUNDS = 20
# What only the local stack does, whatever the template says: import a calendar served on 127.0.0.1 over http, and
# give up on a calendar address sooner (the stack serves one request at a time: a fetch into a machine without a
# network, as in CI, would hold every other request for the full 10 s).
LOCAL_ONLY = {"CALENDAR_ALLOW_LOCAL_HTTP": "true", "CALENDAR_FETCH_TIMEOUT_SECONDS": "2"}
# The local stack's own defaults for settings the environment may still set: the listing is read from the table on
# every request (no cache of its first pages), so a profile change shows in `GET /therapists` at once in the local
# flows; `LISTING_CACHE_SECONDS=60 make run` runs it as deployed.
LOCAL_DEFAULTS = {"LISTING_CACHE_SECONDS": "0"}
STACK_NAME = "therapy-booking-local"  # what `${AWS::StackName}` stands for locally


def _copy_stream_shard(shard: Any, memo: dict[int, Any]) -> Any:
    """A copy of a moto stream shard that shares its records (a stream record never changes once written).

    moto deep-copies a table, stream shard and all, at the start of every TransactWriteItems, to put it back if
    the transaction is cancelled: copying every record ever written made each transaction slower as the stream
    grew (3 s each after 20,000 writes). The copy keeps a list of its own, so a rollback still drops the
    records of the cancelled writes.
    """
    copied = copy.copy(shard)
    memo[id(shard)] = copied
    copied.table = copy.deepcopy(shard.table, memo)  # the copy of the table being made
    copied.items = list(shard.items)
    return copied


def _untrack_moto_models() -> None:
    """Let go of moto's list of every model object it ever made (kept for moto server's dashboard, which the
    stack does not run): every shard iterator, and every copy of the table a transaction took to roll back,
    ~270 KB per refused booking on the demo data. What the table and the stream hold is kept."""
    from moto.core.model_instances import reset_model_data

    reset_model_data()


@dataclass(frozen=True)
class LambdaContext:
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpAnswer:
    return HttpAnswer(status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode())


class LocalStack:
    def __init__(
        self,
        template_path: Path = TEMPLATE_PATH,
        region: str = "eu-west-2",
        table_name: str = "therapy-booking-local",
    ) -> None:
        self.template = load(template_path)
        self.functions = functions(self.template)
        self.routes = http_routes(self.template)
        self.region = region
        self.table_name = table_name
        self.clock = LocalClock()
        self.issuer = LocalIssuer()
        self.lock = threading.RLock()
        self.dead_letters: list[dict[str, Any]] = []
        self.consumers: list[StreamConsumer] = []
        self.queue_consumers: list[QueueConsumer] = []
        self._stream_arn = ""
        self._user_pools: dict[str, str] = {}  # logical id -> the pool id moto gave it
        self._mock: Any = None
        self._patches = ExitStack()

    # --- names and environment -------------------------------------------------------------

    def resource_name(self, logical_id: str) -> str:
        resource = self.template["Resources"].get(logical_id, {})
        if resource.get("Type") == "AWS::DynamoDB::Table":
            return self.table_name
        if logical_id in self._user_pools:  # a pool's Ref is its id
            return self._user_pools[logical_id]
        name = resource.get("Properties", {}).get("Name")
        return logical_id if name is None else self.resolve(name)  # a Name may be a !Sub, as in AWS

    def arn(self, logical_id: str, attribute: str) -> str:
        kind = self.template["Resources"].get(logical_id, {}).get("Type", "")
        if attribute == "StreamArn":
            return self._stream_arn
        if kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{logical_id}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{self.region}:{ACCOUNT_ID}:{logical_id}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{self.region}:{ACCOUNT_ID}:table/{self.table_name}"
        if kind == "AWS::Scheduler::ScheduleGroup":
            return f"arn:aws:scheduler:{self.region}:{ACCOUNT_ID}:schedule-group/{self.resource_name(logical_id)}"
        return f"arn:aws:local:{self.region}:{ACCOUNT_ID}:{logical_id}"

    def resolve(self, value: Any) -> str:
        """A template value with Ref / GetAtt / Sub resolved to this stack's local names."""
        parameters = parameter_defaults(self.template)
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref in parameters:
                return parameters[ref]
            pseudo = {
                "AWS::Region": self.region,
                "AWS::AccountId": ACCOUNT_ID,
                "AWS::StackName": STACK_NAME,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            }
            return pseudo[ref] if ref in pseudo else self.resource_name(ref)
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical, attribute = target.split(".", 1) if isinstance(target, str) else target
            return self.arn(logical, attribute)
        if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            return re.sub(
                r"\$\{([\w:.]+)\}",
                lambda m: self.resolve({"Fn::GetAtt": m.group(1)} if "." in m.group(1) else {"Ref": m.group(1)}),
                value["Fn::Sub"],
            )
        return str(value)

    def function_environment(self) -> dict[str, str]:
        """Every function's variables; a platform setting already set in this process's environment wins, else
        `LOCAL_DEFAULTS` replaces the template's default, and `LOCAL_ONLY` overrides the template (what only the
        local stack may do)."""
        parameters = set(parameter_defaults(self.template)) | set(self.template.get("Parameters", {}))
        merged: dict[str, str] = {}
        for function in self.functions.values():
            for name, value in function.environment.items():
                from_parameter = isinstance(value, dict) and value.get("Ref") in parameters
                if from_parameter and name in os.environ:
                    merged[name] = os.environ[name]
                elif name in LOCAL_DEFAULTS:
                    merged[name] = LOCAL_DEFAULTS[name]
                else:
                    merged[name] = self.resolve(value)
        return {**merged, **{name: value for name, value in LOCAL_ONLY.items() if name in merged}}

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        for path in (REPO_ROOT / "layers" / "shared", REPO_ROOT):  # as Lambda puts the layer on the path
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
        os.environ.update(AWS_ENVIRONMENT)
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = self.region
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        from moto import mock_aws
        from moto.dynamodb.models.table import StreamShard

        self._mock = mock_aws()
        self._mock.start()
        self._patches.enter_context(mock.patch.object(StreamShard, "__deepcopy__", _copy_stream_shard, create=True))
        import boto3

        self.dynamodb = boto3.client("dynamodb", region_name=self.region)
        self.streams = boto3.client("dynamodbstreams", region_name=self.region)
        self.scheduler_client = boto3.client("scheduler", region_name=self.region)
        self.sqs = boto3.client("sqs", region_name=self.region)
        create_table(self.dynamodb, self.table_name, self.template)
        self._stream_arn = self.dynamodb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        self._create_user_pools()
        environment = self.function_environment()
        os.environ.update(environment)
        self._create_supporting_resources(environment)

        from therapy_booking.adapters import aws_clients
        from therapy_booking.wiring import container

        aws_clients.reset()
        container.reset(clock=self.clock)
        self.delivery = StreamDelivery(self.invoke)
        self.scheduler = SchedulerEmulator(self.scheduler_client, self.invoke)
        self._subscribe()
        for function in self.functions.values():
            importlib.import_module(function.module)  # import errors surface at start, not on first call

    def _create_user_pools(self) -> None:
        """The template's user pools, empty (the local stack signs its own tokens): a function told its pool (the
        erasure of a client) finds it, and a user never created there counts as already deleted."""
        import boto3

        cognito = boto3.client("cognito-idp", region_name=self.region)
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] == "AWS::Cognito::UserPool":
                self._user_pools[logical_id] = cognito.create_user_pool(PoolName=logical_id)["UserPool"]["Id"]

    def _create_supporting_resources(self, environment: dict[str, str]) -> None:
        resources = self.template["Resources"]
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::SQS::Queue":
                self.sqs.create_queue(QueueName=logical_id)
        for logical_id, resource in resources.items():  # then their redrive policies, naming queues made above
            redrive = (
                resource.get("Properties", {}).get("RedrivePolicy") if resource["Type"] == "AWS::SQS::Queue" else None
            )
            if redrive:
                url = self.sqs.get_queue_url(QueueName=logical_id)["QueueUrl"]
                policy = {
                    "deadLetterTargetArn": self.resolve(redrive["deadLetterTargetArn"]),
                    "maxReceiveCount": redrive["maxReceiveCount"],
                }
                self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps(policy)})
            elif resource["Type"] == "AWS::Scheduler::ScheduleGroup":
                self.scheduler_client.create_schedule_group(Name=self.resource_name(logical_id))
            elif resource["Type"] == "AWS::SecretsManager::Secret":
                self._create_secret(logical_id, resource.get("Properties", {}))
        sender = environment.get("EMAIL_SENDER") or os.environ.get("EMAIL_SENDER")
        if sender:
            import boto3

            boto3.client("ses", region_name=self.region).verify_email_identity(EmailAddress=sender)

    def _create_secret(self, logical_id: str, properties: dict[str, Any]) -> None:
        """A secret as CloudFormation creates it: its SecretString, or one generated (`GenerateSecretString`)."""
        import secrets

        import boto3

        value = properties.get("SecretString")
        if value is None:
            length = int(properties.get("GenerateSecretString", {}).get("PasswordLength", 32))
            value = secrets.token_urlsafe(length)[:length]
        client = boto3.client("secretsmanager", region_name=self.region)
        client.create_secret(Name=self.resource_name(logical_id), SecretString=str(value))

    def _subscribe(self) -> None:
        self.consumers = []
        self.queue_consumers = []
        for function in self.functions.values():
            for name, event in function.events.items():
                properties = event.get("Properties", {})
                if event["Type"] == "DynamoDB":
                    self.consumers.append(StreamConsumer.from_event(function.name, properties, self.resolve))
                elif event["Type"] == "SQS":
                    queue = self.resolve(properties["Queue"]).rsplit(":", 1)[1]
                    url = self.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
                    self.queue_consumers.append(QueueConsumer.from_event(function.name, url, properties))
                elif event["Type"] in ("ScheduleV2", "Schedule"):
                    self._add_recurring(name, function, properties)
        self.stream_reader = StreamReader(self.streams, self._stream_arn, forget=self._forget_shard_iterator)
        self.stream_reader.start_at_latest()

    def _forget_shard_iterator(self, iterator: str) -> None:
        """moto keeps every shard iterator it hands out, for ever; the stream reader uses each one once."""
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        account = self._stream_arn.split(":")[4]
        dynamodbstreams_backends[account][self.region].shard_iterators.pop(iterator, None)

    def _add_recurring(self, name: str, function: Function, properties: dict[str, Any]) -> None:
        """A template schedule (`ScheduleV2`: ScheduleExpression, `Schedule`: Schedule) with its retries and DLQ."""
        expression = properties.get("ScheduleExpression") or properties.get("Schedule") or ""
        if properties.get("State") == "DISABLED" or properties.get("Enabled") is False:
            return
        raw_input = properties.get("Input")
        payload = json.loads(raw_input) if isinstance(raw_input, str) else {}
        retries = properties.get("RetryPolicy", {}).get("MaximumRetryAttempts", DEFAULT_RETRIES)
        destination = properties.get("DeadLetterConfig", {}).get("Arn")
        added = self.scheduler.add_recurring(
            name,
            self.arn(function.name, "Arn"),
            expression,
            payload,
            self.clock.now(),
            retries=int(retries),
            destination=self.resolve(destination) if destination else None,
        )
        if not added:
            log.warning("schedule %s (%s) is not emulated locally", name, expression)

    def stop(self) -> None:
        self._patches.close()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    # --- invocation --------------------------------------------------------------------------

    def handler(self, function: Function) -> Any:
        return getattr(importlib.import_module(function.module), function.handler)

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        function = self.functions[function_name]
        return self.handler(function)(event, LambdaContext(function_name))

    # --- streams and schedules ---------------------------------------------------------------

    def _read_stream(self) -> int:
        """Queue new stream records for the consumers whose filters accept them; the number read."""

        def queue(page: list[dict[str, Any]]) -> None:
            records = [lambda_record(raw, self.region, self._stream_arn) for raw in page]
            accepted = [(consumer, [r for r in records if consumer.accepts(r)]) for consumer in self.consumers]
            for consumer, batch in accepted:
                consumer.pending.extend(copy.deepcopy(batch))

        return self.stream_reader.read(queue)  # checkpointed page by page: a failure never re-reads a page

    def _drain(self) -> int:
        delivered = 0
        for consumer in self.consumers:
            before = len(consumer.pending)
            for failed in self.delivery.deliver(consumer):
                self._dead_letter(
                    {
                        "source": "dynamodb-stream",
                        "function": consumer.function,
                        "condition": "RetryAttemptsExhausted",
                        "approximate_invoke_count": failed.attempts,
                        "destination": consumer.on_failure,
                        "batch": {
                            "size": len(failed.records),
                            "start_sequence_number": failed.records[0]["dynamodb"]["SequenceNumber"],
                            "end_sequence_number": failed.records[-1]["dynamodb"]["SequenceNumber"],
                            "stream_arn": self._stream_arn,
                        },
                        "records": failed.records,
                    }
                )
            delivered += before - len(consumer.pending)
        return delivered

    def _dead_letter(self, entry: dict[str, Any]) -> None:
        self.dead_letters.append(entry)
        destination = entry.get("destination")
        if destination and destination.startswith("arn:aws:sqs:"):
            url = self.sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[1])["QueueUrl"]
            body = {k: v for k, v in entry.items() if k != "records"}
            self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))

    def settle(self) -> None:
        """Fire what is due and deliver the stream until nothing more happens."""
        with self.lock:
            try:
                for _ in range(SETTLE_ROUNDS):
                    fired, dead = self.scheduler.fire_due(self.clock.now())
                    for letter in dead:
                        self._dead_letter({"source": "scheduler", **letter.__dict__})
                    read = self._read_stream()
                    delivered = self._drain()
                    polled = sum(consumer.poll(self.sqs, self.invoke, self.region) for consumer in self.queue_consumers)
                    if not (fired or read or delivered or polled):
                        return
            finally:
                _untrack_moto_models()

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.clock.advance(seconds)
            self.settle()

    def reset(self) -> None:
        with self.lock:
            paginator = self.dynamodb.get_paginator("scan")
            for page in paginator.paginate(TableName=self.table_name, ProjectionExpression="pk, sk"):
                for item in page["Items"]:
                    self.dynamodb.delete_item(TableName=self.table_name, Key={"pk": item["pk"], "sk": item["sk"]})
            self.scheduler.delete_all()
            outbox.clear(self.region)
            self.dead_letters.clear()
            for consumer in self.consumers:
                consumer.pending.clear()
            self._read_stream()  # skip the deletions' records
            for consumer in self.consumers:
                consumer.pending.clear()

    # --- HTTP --------------------------------------------------------------------------------

    def handle_api(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> HttpAnswer:
        """What API Gateway (HTTP API, JWT authorizer) would answer."""
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is None:
                continue
            lowered = {k.lower(): v for k, v in headers.items()}
            claims: dict[str, Any] | None = None
            if not route.public:  # a route without the authorizer gets every request, and no claims
                try:
                    claims = self.issuer.verify(lowered.get("authorization"))
                except InvalidToken:
                    return _json(401, {"message": "Unauthorized"}, {"www-authenticate": "Bearer"})
            # API Gateway tells the function how the request reached it; the local stack listens on plain HTTP.
            forwarded = {"x-forwarded-proto": "http", "x-forwarded-port": lowered.get("host", "").rpartition(":")[2]}
            event = http_api_event(
                method=method,
                route_path=route.path,
                raw_path=path,
                raw_query=query,
                headers={**headers, **{k: v for k, v in forwarded.items() if v and k not in lowered}},
                body=body or None,
                path_parameters=parameters,
                claims=claims,
            )
            with self.lock:
                try:
                    result = self.invoke(route.function, event)
                except Exception:
                    log.exception("function %s failed", route.function)
                    return _json(500, {"message": "Internal Server Error"})
                self.settle()
            return self._answer(result)
        return _json(404, {"message": "Not Found"})

    @staticmethod
    def _answer(result: dict[str, Any]) -> HttpAnswer:
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ",".join(str(v) for v in values)
        return HttpAnswer(int(result.get("statusCode", 200)), headers, body)

    def outbox(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            return outbox.sent(self.region)
