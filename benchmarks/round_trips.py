"""DynamoDB round trips per API operation, through the real handlers on moto.

One scenario drives every HTTP operation in turn through `tests.support.api.Api` (HTTP API v2.0
events routed by template.yaml to the real `lambda_handler`s), on moto in-process with the table
built from template.yaml and a fixed clock, as the handler tests do. Each request must answer with
its expected status, or the run stops. Only the calls made during the measured request are
counted: everything a step needs was written by the steps before it.

Calls are seen by wrapping `botocore.client.BaseClient._make_api_call` (see
`benchmarks._support.DynamoCallLog`): PynamoDB's client and the idempotency store's boto3 client
both go through it, even when created lazily inside the request. Targets: a read makes at most 1
call, a state change at most 2 (one read, one TransactWriteItems).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks._support import DynamoCall, DynamoCallLog, local_aws, markdown_table, verdict

READ = "read"
WRITE = "state change"
LIMITS = {READ: 1, WRITE: 2}

SLOT_WINDOW = {"from": "2026-12-01T00:00:00Z", "to": "2026-12-29T00:00:00Z"}
IDEMPOTENCY_KEY = "bench-key-0001"


@dataclass
class Measured:
    operation: str
    kind: str
    status: int
    calls: list[DynamoCall]

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def limit(self) -> int:
        return LIMITS[self.kind]

    @property
    def met(self) -> bool:
        return self.count <= self.limit

    @property
    def sequence(self) -> str:
        """The calls in order, failed ones with their error code."""
        return ", ".join(c.operation + (f" ({c.error})" if c.error else "") for c in self.calls) or "none"

    @property
    def summary(self) -> str:
        counts = Counter(c.operation for c in self.calls)
        return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.items()) or "none"


@dataclass
class RoundTripResult:
    operations: list[Measured] = field(default_factory=list)

    @property
    def all_met(self) -> bool:
        return all(m.met for m in self.operations)


def run() -> RoundTripResult:
    from tests.support.api import Api
    from tests.support.clock import FakeClock
    from tests.support.scenario import CLIENT, THERAPIST, availability, booking, therapist_profile

    result = RoundTripResult()
    log = DynamoCallLog()
    with local_aws(FakeClock()), log.recording():
        api = Api()

        def measure(
            kind: str, route: str, caller: Any, expected: int, path: str = "", note: str = "", **kw: Any
        ) -> Any:
            """One request: `route` is "METHOD /template", `path` the concrete path when it has parameters."""
            method, template = route.split(" ", 1)
            operation = f"{route} ({note})" if note else route
            mark = log.mark()
            answer = api.request(method, path or template, caller, **kw)
            if answer.status != expected:
                raise RuntimeError(f"{operation}: expected {expected}, got {answer.status}: {answer.body}")
            result.operations.append(Measured(operation, kind, answer.status, log.since(mark)))
            return answer.body

        therapist = THERAPIST.sub
        measure(WRITE, "PUT /therapists/me", THERAPIST, 200, body=therapist_profile())
        measure(WRITE, "PUT /therapists/me/availability", THERAPIST, 200, body=availability())
        client_profile = {"name": "Sam Client", "email": "sam@example.com", "timezone": "Europe/London"}
        measure(WRITE, "PUT /clients/me", CLIENT, 200, body=client_profile)
        measure(READ, "GET /therapists", CLIENT, 200)
        measure(READ, "GET /therapists/{id}", CLIENT, 200, path=f"/therapists/{therapist}")
        slots = f"/therapists/{therapist}/slots"
        measure(READ, "GET /therapists/{id}/slots", CLIENT, 200, path=slots, note="4 weeks", query=SLOT_WINDOW)
        first = measure(WRITE, "POST /sessions", CLIENT, 201, note="no Idempotency-Key", body=booking())
        keyed_request: dict[str, Any] = {
            "body": booking(start="2026-12-02T11:00:00Z"),
            "headers": {"Idempotency-Key": IDEMPOTENCY_KEY},
        }
        keyed = measure(WRITE, "POST /sessions", CLIENT, 201, note="Idempotency-Key, first", **keyed_request)
        replay = measure(WRITE, "POST /sessions", CLIENT, 201, note="same Idempotency-Key, replay", **keyed_request)
        if replay["session_id"] != keyed["session_id"]:
            raise RuntimeError("the replay booked another session")
        first_id, keyed_id = first["session_id"], keyed["session_id"]
        measure(READ, "GET /sessions/{id}", CLIENT, 200, path=f"/sessions/{first_id}")
        measure(READ, "GET /sessions", CLIENT, 200, note="client")
        measure(READ, "GET /sessions", THERAPIST, 200, note="therapist")
        measure(WRITE, "POST /sessions/{id}/confirm", THERAPIST, 200, path=f"/sessions/{first_id}/confirm")
        decline = f"/sessions/{keyed_id}/decline"
        measure(WRITE, "POST /sessions/{id}/decline", THERAPIST, 200, path=decline, body={"reason": "Away"})
        cancel = f"/sessions/{first_id}/cancel"
        measure(WRITE, "POST /sessions/{id}/cancel", CLIENT, 200, path=cancel, body={"reason": "Plans changed"})
        block_body = {"start": "2026-12-03T09:00:00Z", "end": "2026-12-03T12:00:00Z", "note": "Training"}
        block = measure(WRITE, "POST /therapists/me/blocks", THERAPIST, 201, body=block_body)
        unblock = f"/therapists/me/blocks/{block['block_id']}"
        measure(WRITE, "DELETE /therapists/me/blocks/{id}", THERAPIST, 204, path=unblock)
    return result


def to_markdown(result: RoundTripResult) -> str:
    rows = [
        [f"`{m.operation}`", m.kind, m.status, m.sequence, m.count, f"<= {m.limit}", verdict(m.met)]
        for m in result.operations
    ]
    met = sum(m.met for m in result.operations)
    return "\n".join(
        [
            "DynamoDB calls made by each request (in order; failed conditional writes show their error code). "
            "Targets: a read at most 1 call, a state change at most 2.",
            "",
            markdown_table(["operation", "kind", "HTTP", "DynamoDB calls", "count", "target", "verdict"], rows),
            "",
            f"{met} of {len(result.operations)} operations meet their target.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    print(to_markdown(run()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
