"""The local stack in this process on the real template.yaml, for the tests that drive it directly; and the target
the end-to-end suites drive over HTTP (the local stack in a subprocess, or a deployment)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local_stack import demo
from local_stack.runtime import LocalStack
from tests.support.target import Target, deployed, open_target, running
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


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    """The stack a module's end-to-end tests drive: the local stack on a free port, or the deployment that
    DEPLOYED_API_URL names (tests/support/target.py)."""
    with open_target() as opened:
        yield opened


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Against a deployment, a test about the local stack itself is skipped before it starts; on either target,
    the capabilities check the running test's markers."""
    marker = item.get_closest_marker("local_only")
    if marker is not None and deployed():
        pytest.skip(f"local stack only: {marker.kwargs.get('reason', '')}")
    running(item)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    running(None)
