"""Shared by the benchmarks: the moto stack of the handler tests, a log of AWS calls, small helpers."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from tests.support.environment import TEST_ENVIRONMENT
from therapy_booking.domain.ports import Clock

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYER_DIR = REPO_ROOT / "layers" / "shared"


def configure_environment() -> None:
    os.environ.update(TEST_ENVIRONMENT)


@contextmanager
def local_aws(clock: Clock) -> Iterator[Any]:
    """moto with the template's table and the service container rebuilt on it (as the `aws` fixture)."""
    configure_environment()
    from moto import mock_aws

    from tests.support.template import create_table
    from therapy_booking.adapters import aws_clients
    from therapy_booking.wiring import container

    with mock_aws():
        aws_clients.reset()
        client = aws_clients.dynamodb_client()
        create_table(client, os.environ["TABLE_NAME"])
        container.reset(clock=clock)
        try:
            yield client
        finally:
            container.reset()
            aws_clients.reset()


@dataclass
class AwsCall:
    operation: str
    service: str = "dynamodb"  # botocore's service name: dynamodb, sesv2, sns, scheduler...
    seconds: float = 0.0
    error: str | None = None
    count: int | None = None
    scanned_count: int | None = None


@dataclass
class AwsCallLog:
    """Every call to the `services` (all if None) made by any botocore client while `recording()` is active.

    It wraps `botocore.client.BaseClient._make_api_call`, the one method through which every
    operation of every botocore client goes: PynamoDB calls it directly
    (`Connection._make_api_call`), boto3 client methods (the idempotency store's, SES, SNS,
    Scheduler) call it too. A class-level wrapper also sees clients created lazily during a
    request, which per-client event hooks registered beforehand would miss. One logical call is
    one entry: retries happen inside it (there are none on moto).
    """

    services: frozenset[str] | None = None
    calls: list[AwsCall] = field(default_factory=list)

    @contextmanager
    def recording(self) -> Iterator[AwsCallLog]:
        original: Any = BaseClient.__dict__["_make_api_call"]  # private, so absent from the stubs
        log = self

        def recording_call(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            if log.services is not None and service not in log.services:
                return original(client, operation_name, api_params)
            call = AwsCall(operation_name, service)
            log.calls.append(call)
            started = perf_counter()
            try:
                response = original(client, operation_name, api_params)
            except ClientError as error:
                call.error = str(error.response.get("Error", {}).get("Code", "error"))
                raise
            finally:
                call.seconds = perf_counter() - started
            call.count = response.get("Count")
            call.scanned_count = response.get("ScannedCount")
            return response

        with mock.patch.object(BaseClient, "_make_api_call", recording_call):
            yield self

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[AwsCall]:
        return self.calls[mark:]


@dataclass
class DynamoCallLog(AwsCallLog):
    """Every DynamoDB call (see `AwsCallLog`)."""

    services: frozenset[str] | None = frozenset({"dynamodb"})


@contextmanager
def timed_store() -> Iterator[list[float]]:
    """Seconds spent inside moto's emulation of AWS (request parsing, the in-memory backend, the response).

    moto answers from a botocore `before-send` handler, `BotocoreStubber.__call__`: time spent
    there stands for DynamoDB's own work, the rest of a request is the product's (and botocore's).
    """
    from moto.core.botocore_stubber import BotocoreStubber

    spent: list[float] = []
    original = BotocoreStubber.__call__

    def timed_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent.append(perf_counter() - started)

    with mock.patch.object(BotocoreStubber, "__call__", timed_call):
        yield spent


@dataclass(frozen=True)
class TimedCall:
    """One timed request: its wall time, the part spent inside moto, its DynamoDB calls and the items they read
    (and returned, where a page is the point)."""

    total: float
    store: float
    dynamodb_calls: int
    items_read: int
    items_returned: int = 0

    @property
    def product(self) -> float:
        """The time outside the emulator: handler, domain, PynamoDB, botocore."""
        return self.total - self.store


class TimedCalls:
    """A scenario's timed calls (`self.calls`), summarised: medians of the times, maxima of the counts."""

    calls: list[TimedCall]

    @property
    def total(self) -> float:
        return median([c.total for c in self.calls])

    @property
    def store(self) -> float:
        return median([c.store for c in self.calls])

    @property
    def product(self) -> float:
        return median([c.product for c in self.calls])

    @property
    def items_read(self) -> int:
        return max(c.items_read for c in self.calls)

    @property
    def items_returned(self) -> int:
        return max(c.items_returned for c in self.calls)

    @property
    def dynamodb_calls(self) -> int:
        return max(c.dynamodb_calls for c in self.calls)


TARGET_RATIO = 1.2  # a scaling benchmark's larger scenario may take at most this much longer than the smaller


@dataclass
class ScalingResult[S: TimedCalls]:
    """A small and a large scenario of one request (and an optional control), compared."""

    repeats: int
    short: S
    long: S
    control: S | None

    @property
    def ratio(self) -> float:
        return self.long.total / self.short.total

    @property
    def product_ratio(self) -> float:
        return self.long.product / self.short.product

    @property
    def met(self) -> bool:
        return self.ratio <= TARGET_RATIO

    @property
    def product_met(self) -> bool:
        """Outside the emulator within the target, reading the same items whatever the data's size."""
        return self.product_ratio <= TARGET_RATIO and self.long.items_read == self.short.items_read


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the emulated table's objects out of the garbage collector's passes while timing the handler."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def timed_calls[T](request: Callable[[], T], warmup: int, repeats: int) -> Iterator[tuple[T, TimedCall | None]]:
    """Send `request` `warmup + repeats` times, each answer with its timing (None for a warm-up call)."""
    calls = DynamoCallLog()
    with frozen_heap(), calls.recording(), timed_store() as store:
        for n in range(warmup + repeats):
            mark, store_mark = calls.mark(), len(store)
            began = perf_counter()
            answer = request()
            elapsed = perf_counter() - began
            made = calls.since(mark)
            read, returned = sum(c.scanned_count or 0 for c in made), sum(c.count or 0 for c in made)
            timing = TimedCall(elapsed, sum(store[store_mark:]), len(made), read, returned)
            yield answer, timing if n >= warmup else None


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "**NOT met**"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "cpu model", "hardware")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def machine_description() -> list[tuple[str, str]]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    packages = ("boto3", "botocore", "pynamodb", "aws-lambda-powertools", "pydantic", "moto")
    return [
        ("CPU", f"{_cpu_model()} ({platform.machine()})"),
        ("nproc", str(usable)),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("Packages", ", ".join(f"{name} {_version(name)}" for name in packages)),
    ]
