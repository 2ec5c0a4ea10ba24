"""The end-to-end suites' deployed target (tests/support/target.py), on moto's Cognito and a stand-in API: so that
`make test-deployed` gets real users with working tokens, skips what a deployment cannot do with its reason, and
leaves the pool as it found it, the day it runs against a real stack."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

import boto3
import pytest

from local_stack import demo
from tests.integration.test_cognito_test_users import FakeTime, claims_of, user_pool
from tests.support import environment, target
from tests.support.cognito_users import GROUPS, CognitoTestUsers
from tests.support.loopback import loopback_server
from tests.support.target import DeployedTarget, open_target
from therapy_booking.api.schemas.profiles import TherapistProfileRequest


@dataclass
class StandInApi:
    """What the target's clean-up calls: each request (method, path, bearer token, body), and the profiles that
    GET /therapists/me answers, by token."""

    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str, Any]] = field(default_factory=list)


@contextmanager
def serving(api: StandInApi) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> str:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            api.requests.append((self.command, self.path, token, body))
            return token

        def _answer(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            profile = api.profiles.get(self._record())
            self._answer(200, profile) if profile is not None else self._answer(404, {"code": "not_found"})

        def do_PUT(self) -> None:
            self._record()
            self._answer(200, {})

        def do_DELETE(self) -> None:
            self._record()
            self._answer(204)

        def log_message(self, format: str, *args: Any) -> None:
            return

    with loopback_server(Handler) as base:
        yield base


def test_a_deployed_targets_users_are_cognito_users_and_all_are_removed_after_hiding_and_erasing(
    cognito: Any,
) -> None:
    # Given a deployed target on a pool as the template makes it
    pool, app = user_pool(cognito)
    clock = FakeTime()
    api = StandInApi()
    with serving(api) as url:
        deployment = DeployedTarget(url, CognitoTestUsers(cognito, pool, app, now=clock.now, sleep=clock.sleep))
        assert deployment.http.base_url == url.rstrip("/")
        # When it makes a user of each role
        made = {role: deployment.new_user(role, f"target-{role}") for role in GROUPS}
        # Then each is a pool user: its sub is the token's, its token carries its role's group, its email goes to
        # SES's mailbox simulator, and it gets no texts
        for role, user in made.items():
            claims = claims_of(user.token)
            assert (user.role, claims["sub"], claims["cognito:groups"]) == (role, user.sub, [GROUPS[role]])
            assert user.email.endswith("@simulator.amazonses.com") and not user.texts
        # And a demo profile made the therapist's has their email, no phone, no texts, and is a valid profile
        profile = made["therapist"].profile(demo.THERAPIST_PROFILE)
        assert (profile["email"], profile["sms_opt_in"], "phone" in profile) == (made["therapist"].email, False, False)
        TherapistProfileRequest.model_validate(profile)
        # When the module ends, the therapist having published that profile
        own = {**profile, "therapist_id": made["therapist"].sub, "deactivated": False, "availability": None}
        api.profiles[made["therapist"].token] = own
        deployment.close()
    # Then the therapist was hidden (a valid profile, as it was but not visible), the client erased
    hidden = [body for method, path, _, body in api.requests if (method, path) == ("PUT", "/therapists/me")]
    assert len(hidden) == 1 and hidden[0] == {**profile, "visible": False}
    TherapistProfileRequest.model_validate(hidden[0])
    erased = [(method, path, token) for method, path, token, _ in api.requests if method == "DELETE"]
    assert erased == [("DELETE", "/clients/me", made["client"].token)]
    # And every user is gone from the pool
    assert cognito.list_users(UserPoolId=pool)["Users"] == []


@pytest.mark.parametrize(
    ("use", "reason"),
    [
        (lambda deployment, user: deployment.advance_clock(60), target.NO_CLOCK),
        (lambda deployment, user: deployment.outbox(), target.NO_OUTBOX),
        (lambda deployment, user: deployment.dead_letters(), target.NO_DEAD_LETTERS),
        (lambda deployment, user: deployment.reset(), target.NO_RESET),
        (lambda deployment, user: deployment.expired_token(user), target.NO_ISSUER),
        (lambda deployment, user: deployment.process, target.NO_PROCESS),
    ],
    ids=["clock", "outbox", "dead letters", "reset", "expired token", "process"],
)
def test_what_only_the_local_stack_can_do_skips_on_a_deployment_with_its_reason(
    cognito: Any, use: Any, reason: str
) -> None:
    pool, app = user_pool(cognito)
    deployment = DeployedTarget("https://api.example.com", CognitoTestUsers(cognito, pool, app))
    user = deployment.new_user("client")
    with pytest.raises(pytest.skip.Exception) as skipped:
        use(deployment, user)
    assert str(skipped.value) == reason
    assert not deployment.reads_outbox
    deployment.close()


@dataclass(frozen=True)
class Marked:
    """The part of a pytest item the capabilities read: its id and its markers."""

    markers: tuple[str, ...]
    nodeid: str = "tests/local_stack/test_x.py::test_y"

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


@pytest.mark.parametrize(
    ("markers", "outcome"),
    [((), pytest.fail.Exception), (("needs_clock",), pytest.skip.Exception), (("local_only",), pytest.skip.Exception)],
)
def test_a_capability_used_by_a_test_not_marked_for_it_fails_the_test(
    markers: tuple[str, ...], outcome: type[BaseException]
) -> None:
    deployment = DeployedTarget("https://api.example.com", cast(CognitoTestUsers, None))
    target.running(cast(pytest.Item, Marked(markers)))
    try:
        with pytest.raises(outcome) as raised:
            deployment.advance_clock(60)
    finally:
        target.running(None)
    if outcome is pytest.fail.Exception:
        assert "mark it @pytest.mark.needs_clock" in str(raised.value)


def test_a_read_is_repeated_until_the_deployment_has_caught_up_or_the_wait_is_over() -> None:
    clock = FakeTime()
    deployment = DeployedTarget(
        "https://api.example.com", cast(CognitoTestUsers, None), monotonic=clock.now, sleep=clock.sleep
    )
    reads = iter(range(1000))
    assert deployment.settled(lambda: next(reads), until=lambda value: value == 3) == 3
    assert clock.slept == [target.SETTLE_POLL_SECONDS] * 3
    never = deployment.settled(lambda: next(reads), until=lambda value: False)
    assert clock.slept == [target.SETTLE_POLL_SECONDS] * int(3 + target.SETTLE_SECONDS)
    assert never == 4 + int(target.SETTLE_SECONDS)


def test_deployed_api_url_selects_the_deployment_with_the_stacks_outputs(
    cognito: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool, app = user_pool(cognito)
    monkeypatch.setenv(target.DEPLOYED_API_URL, "https://abc123.execute-api.eu-west-2.amazonaws.com/")
    monkeypatch.setenv(target.DEPLOYED_USER_POOL_ID, pool)
    monkeypatch.setenv(target.DEPLOYED_USER_POOL_CLIENT_ID, app)
    monkeypatch.setenv(target.DEPLOYED_EMAIL_SENDER, "bookings@mail.example.org")
    with open_target() as opened:
        assert isinstance(opened, DeployedTarget)
        assert opened.http.base_url == "https://abc123.execute-api.eu-west-2.amazonaws.com"
        assert (opened.users.user_pool_id, opened.users.client_id) == (pool, app)
        assert opened.users.cognito.meta.region_name == pool.split("_")[0]
        assert opened.email_sender_domain == "mail.example.org"
    # A module that starts the local stack with settings of its own is skipped: a deployment has its parameters
    with pytest.raises(pytest.skip.Exception, match="OFFER_EXPIRY_POLICY"), open_target({"OFFER_EXPIRY_POLICY": "x"}):
        pass
    # And without the pool's ids the run stops, saying which are missing
    monkeypatch.delenv(target.DEPLOYED_USER_POOL_CLIENT_ID)
    with pytest.raises(pytest.fail.Exception, match=target.DEPLOYED_USER_POOL_CLIENT_ID), open_target():
        pass


def test_aws_is_called_with_the_callers_credentials_not_the_tests_fake_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a caller whose shell had credentials and a profile but no session token, and the tests' fake ones in place
    caller = {"AWS_ACCESS_KEY_ID": "AKIACALLER", "AWS_SECRET_ACCESS_KEY": "caller-secret", "AWS_SESSION_TOKEN": None}
    monkeypatch.setattr(environment, "CALLERS_ENVIRONMENT", caller)
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    # When the deployed target's AWS calls are set up / Then they see the caller's own
    with environment.callers_environment():
        assert (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]) == ("AKIACALLER", "caller-secret")
        assert "AWS_SESSION_TOKEN" not in os.environ
    # And the tests' fake ones are back after
    assert (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SESSION_TOKEN"]) == ("testing", "testing")


def test_the_pools_client_is_made_with_the_callers_credentials_in_the_pools_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(environment, "CALLERS_ENVIRONMENT", {"AWS_ACCESS_KEY_ID": "AKIACALLER"})
    seen: list[tuple[str, str, str | None]] = []

    class Session:
        """boto3's, as far as the target uses it: what the environment held when the client was made."""

        def client(self, service: str, region_name: str) -> object:
            seen.append((service, region_name, os.environ.get("AWS_ACCESS_KEY_ID")))
            return object()

    monkeypatch.setattr(boto3.session, "Session", Session)
    target.cognito_client("eu-west-1_AbCdEf")
    assert seen == [("cognito-idp", "eu-west-1", "AKIACALLER")]
