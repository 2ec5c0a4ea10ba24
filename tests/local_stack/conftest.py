"""The local stack in this process on the real template.yaml, for the tests that drive it directly."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local_stack import demo
from local_stack.runtime import LocalStack
from therapy_booking.adapters import aws_clients
from therapy_booking.wiring import container


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    """The local stack on template.yaml, started under the OFFER_EXPIRY_POLICY the test names; all restored after."""
    environment = dict(os.environ)
    os.environ["OFFER_EXPIRY_POLICY"] = getattr(request, "param", "cancel_and_refund")
    local = LocalStack()
    try:
        local.start()
        demo.seed(local)
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(environment)
        aws_clients.reset()
        container.reset()
