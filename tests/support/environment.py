"""The environment tests (and benchmarks) run handlers in: fake credentials, moto-friendly endpoints."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

TEST_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_REGION": "eu-west-2",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "TABLE_NAME": "therapy-booking-test",
    "POWERTOOLS_SERVICE_NAME": "therapy-booking",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "TherapyBooking",
}

# What the shell that started pytest had under those AWS_ names, read when this module is first imported: before
# tests/conftest.py puts TEST_ENVIRONMENT in place. The credentials a run against a deployed stack calls AWS with
# (tests/support/target.py).
CALLERS_ENVIRONMENT: dict[str, str | None] = {
    name: os.environ.get(name) for name in TEST_ENVIRONMENT if name.startswith("AWS_")
}


@contextmanager
def callers_environment() -> Iterator[None]:
    """The caller's own AWS settings while in the block (their credentials, profile and region, or none of the
    fake ones), for the tests' calls to a real account; the test environment again after."""
    with mock.patch.dict(os.environ):
        for name, value in CALLERS_ENVIRONMENT.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
