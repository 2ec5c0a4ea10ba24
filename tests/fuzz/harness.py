"""Schemathesis against the local stack over HTTP, once per role (`make fuzz`, and a short run in `make test`).

The stack is started as `make run` starts it (a subprocess on a free port, demo data seeded), then
seeded further through the API itself (sessions in every state, blocks, an open offer, a location
change waiting for the client), so that generated requests reach real sessions and not only 404s:
the ids are given to schemathesis as fuzz dictionaries for the path and body fields that take them.
Each role (therapist, client, admin) gets its own run with its own token from `/dev/token`.

A run fails on any 5xx, any status code or content type the OpenAPI document does not list, any
response that breaks its schema, any schema-violating request accepted, and auth that is ignored.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from local_stack import demo
from tests.local_stack.running_stack import REPO_ROOT, Http, StackProcess, free_port

ROLES = (demo.THERAPIST, demo.CLIENT, demo.ADMIN)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
)
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
TEST_PHASES = ("examples", "fuzzing", "stateful")  # in `make test`: coverage alone would take minutes
TOKEN_LIFETIME = 6 * 3600
SEEDED_SESSIONS = 12
OTHER_THERAPIST = "fuzz-other-therapist"
TEST_MAX_EXAMPLES = 10  # per operation and phase, in `make test`
TEST_SECONDS = 300  # `make test`'s run stops there (it takes about 100 s)
TEST_SEED = 20261130  # `make test` sends the same requests each time; `make fuzz` draws a new seed
REQUEST_TIMEOUT_SECONDS = 30
UNBOUNDED_RUN_SECONDS = 3600  # a run given no time limit is still stopped after this
GRACE_SECONDS = 60


@dataclass
class Known:
    """Ids that exist in the seeded stack, by the name of the fields that take them."""

    sessions: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    free_starts: list[str] = field(default_factory=list)

    def dictionaries(self) -> dict[str, list[str]]:
        return {
            "sessions": self.sessions,
            "therapists": [demo.THERAPIST.sub, OTHER_THERAPIST],
            "blocks": self.blocks,
            "alternatives": self.alternatives,
            "locations": [
                location["id"] for location in cast(list[dict[str, str]], demo.THERAPIST_PROFILE["locations"])
            ],
            "starts": self.free_starts,
            "session_types": ["individual"],  # the type with one attendee, the length most often generated
            "currencies": ["GBP"],  # the platform's (template parameter Currency)
            "zones": ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"],
        }


# Which field takes which dictionary, and how often a known value is used instead of a generated one.
BINDINGS = {
    "path.session_id": ("sessions", 0.8),
    "path.therapist_id": ("therapists", 0.8),
    "path.block_id": ("blocks", 0.5),
    "body.therapist_id": ("therapists", 0.8),
    "body.location_id": ("locations", 0.8),
    "body.session_type": ("session_types", 0.7),
    "body.alternative_id": ("alternatives", 0.8),
    "body.start": ("starts", 0.5),
    "body.alternatives[*].start": ("starts", 0.8),
    "body.session_types[*].price.currency": ("currencies", 0.9),
    "body.timezone": ("zones", 0.8),
}


def _ok(reply: Any, what: str) -> Any:
    if reply.status >= 300:
        raise RuntimeError(f"seeding: {what} answered {reply.status}: {reply.body[:500]!r}")
    return reply.json() if reply.body else None


def seed(http: Http) -> Known:
    """Sessions of the demo client in every state the routes act on: with the demo therapist (whose own
    run may change their profile and availability), and with a second therapist nobody fuzzes as."""
    therapist, client = http.token(demo.THERAPIST.sub, "therapist"), http.token(demo.CLIENT.sub, "client")
    other = http.token(OTHER_THERAPIST, "therapist")
    _ok(http.put("/therapists/me", demo.THERAPIST_PROFILE, token=other), "second therapist")
    _ok(http.put("/therapists/me/availability", demo.AVAILABILITY, token=other), "second availability")
    now = datetime.fromisoformat(_ok(http.get("/dev/clock"), "clock")["now"])
    window = f"from={_instant(now + timedelta(days=2))}&to={_instant(now + timedelta(days=50))}"
    slots = _ok(http.get(f"/therapists/{demo.THERAPIST.sub}/slots?{window}", token=client), "slots")["items"]
    booked, free = slots[::3][:SEEDED_SESSIONS], [slot for slot in slots[1::3] if slot not in slots[::3]]
    known = Known(free_starts=[slot["start"] for slot in free[:20]])
    for index, slot in enumerate(booked + booked[:4]):
        body = {
            "therapist_id": demo.THERAPIST.sub if index < len(booked) else OTHER_THERAPIST,
            "start": slot["start"],
            "session_type": "individual",
            "location_id": "video",
            "attendees": ["Fuzz Client"],
        }
        known.sessions.append(_ok(http.post("/sessions", body, token=client), "booking")["session_id"])
    pending, confirmed = known.sessions[:4], known.sessions[4:SEEDED_SESSIONS]
    for session_id in confirmed:
        _ok(http.post(f"/sessions/{session_id}/confirm", token=therapist), "confirm")
    for session_id in known.sessions[SEEDED_SESSIONS:][:2]:
        _ok(http.post(f"/sessions/{session_id}/confirm", token=other), "confirm")
    offered = _ok(
        http.post(
            f"/sessions/{confirmed[0]}/offers",
            {"alternatives": [{"start": start} for start in known.free_starts[-3:]]},
            token=therapist,
        ),
        "offer",
    )
    known.alternatives = [alternative["alternative_id"] for alternative in offered["offer"]["alternatives"]]
    change = {"location_id": "consulting-room", "reason": "therapist_unavailable"}
    _ok(http.post(f"/sessions/{confirmed[1]}/location-change", change, token=therapist), "location change")
    _ok(http.post(f"/sessions/{pending[0]}/cancel", {"reason": "Seeded"}, token=client), "cancel")
    _ok(http.post(f"/sessions/{pending[1]}/decline", token=therapist), "decline")
    for days in (51, 52):
        block = {"start": _instant(now + timedelta(days=days)), "end": _instant(now + timedelta(days=days, hours=2))}
        known.blocks.append(_ok(http.post("/therapists/me/blocks", block, token=therapist), "block")["block_id"])
    return known


def _instant(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def config(known: Known, token: str) -> str:
    """schemathesis.toml for one role's run."""
    lines = ["# Written by tests/fuzz/harness.py for one run.", ""]
    dictionaries = known.dictionaries()
    for name, values in dictionaries.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines += ["[parameters]"]
    for key, (name, probability) in BINDINGS.items():
        if dictionaries[name]:
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = {probability} }}')
    lines += [
        "",
        "[auth.openapi.bearerAuth]",
        f'bearer = "{token}"',
        "",
        "[cache]",
        "enabled = false  # no .schemathesis/ folder: each run starts from a fresh stack on a new port",
        "",
        "[phases.coverage]",
        "unexpected-methods = []  # API Gateway answers 404 to a method it has no route for, not 405",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class RoleRun:
    role: str
    exit_code: int
    output: str


@dataclass(frozen=True)
class FuzzReport:
    runs: list[RoleRun]
    stack_errors: list[str]

    @property
    def passed(self) -> bool:
        return all(run.exit_code == 0 for run in self.runs) and not self.stack_errors

    def summary(self, tail: int = 120) -> str:
        parts = []
        for run in self.runs:
            lines = run.output.splitlines()
            parts.append(f"===== {run.role}: exit {run.exit_code} =====\n" + "\n".join(lines[-tail:]))
        if self.stack_errors:
            parts.append("===== the stack logged errors =====\n" + "\n".join(self.stack_errors[-tail:]))
        return "\n".join(parts)


def run(
    *,
    max_examples: int,
    seconds: int | None = None,
    phases: tuple[str, ...] = ALL_PHASES,
    seed_value: int | None = None,
    echo: bool = False,
    report_dir: Path | None = None,
) -> FuzzReport:
    """Start the stack, seed it, and run schemathesis for the three roles at once (each for `seconds` at most,
    `max_examples` per operation and phase); the stack is stopped whatever happens."""
    stack = StackProcess(free_port())
    stack.start()  # not `running_stack()`: the schemathesis processes are stopped in the same `finally`
    try:
        http = Http(stack.base_url)
        known = seed(http)
        with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
            started = []
            for user in ROLES:
                token = http.token(user.sub, user.role, expires_in=TOKEN_LIFETIME)
                config_path = Path(folder) / f"{user.role}.toml"
                config_path.write_text(config(known, token), encoding="utf-8")
                command = [
                    *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config_path), "--no-color"),
                    *("run", f"{stack.base_url}/openapi.json", "--checks", ",".join(CHECKS)),
                    *("--phases", ",".join(phases), "--max-examples", str(max_examples)),
                    *("--generation-database", "none", "--request-timeout", str(REQUEST_TIMEOUT_SECONDS)),
                ]
                if seconds is not None:
                    command += ["--max-time", str(seconds)]
                if seed_value is not None:
                    command += ["--seed", str(seed_value)]
                if report_dir is not None:  # every request and answer, to look at afterwards
                    command += ["--report", "har", "--report-har-path", str(report_dir / f"{user.role}.har")]
                output = (Path(folder) / f"{user.role}.out").open("w+", encoding="utf-8")
                process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT)
                started.append((user.role, process, output))
            runs = []
            deadline = time.monotonic() + (seconds or UNBOUNDED_RUN_SECONDS) + GRACE_SECONDS
            for role, process, output in started:
                try:
                    code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:  # a stalled run fails instead of holding up `make test`
                    process.kill()
                    code = process.wait()
                output.seek(0)
                runs.append(RoleRun(role, code, output.read()))
                output.close()
                if echo:
                    print(f"\n===== schemathesis as the demo {role}: exit {code} =====\n{runs[-1].output}", flush=True)
        errors = [line for line in stack.lines if "Traceback" in line or "Unhandled error" in line or " 500 " in line]
        return FuzzReport(runs, errors)
    finally:
        for _, process, _ in locals().get("started", []):
            if process.poll() is None:
                process.kill()
        stack.close()
