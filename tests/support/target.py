"""Where the over-HTTP end-to-end suites (tests/local_stack/test_e2e*.py) run: the local stack, or a deployed one.

- `LocalTarget`, the default (`make test`): `python -m local_stack` in a subprocess on a free port. Its users are
  fresh ids with tokens from `/dev/token`; its clock, outbox, dead letters and reset are its `/dev/*` routes.
- `DeployedTarget`, when `DEPLOYED_API_URL` is set (`make test-deployed`, docs/deploying.md, "Testing a
  deployment"): the stack at that URL. Its users are Cognito users the run creates in `DEPLOYED_USER_POOL_ID`
  (tests/support/cognito_users.py): real subs and ID tokens. When the module ends, its therapists are hidden,
  its clients erased and every user deleted. A deployment has no `/dev/*` routes: a test that reaches for one
  is skipped at that point, with the reason, after everything before it has been checked.

Tests say what they need with markers (pyproject.toml): `local_only(reason)` for what is about the local stack
itself (skipped on a deployment before it starts), and `needs_clock`, `needs_outbox`, `needs_dead_letters`,
`needs_reset` for a test that uses that capability. On either target a capability used by a test that is not
marked for it fails the test, so the markers stay true (tests/local_stack/conftest.py tells this module which
test is running).
"""

from __future__ import annotations

import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import pytest

from local_stack import demo
from tests.local_stack.running_stack import Http, StackProcess, running_stack
from tests.support.cognito_users import CognitoTestUsers
from tests.support.environment import callers_environment
from therapy_booking.api.schemas.profiles import TherapistProfileRequest

T = TypeVar("T")

DEPLOYED_API_URL = "DEPLOYED_API_URL"
DEPLOYED_USER_POOL_ID = "DEPLOYED_USER_POOL_ID"
DEPLOYED_USER_POOL_CLIENT_ID = "DEPLOYED_USER_POOL_CLIENT_ID"
DEPLOYED_EMAIL_SENDER = "DEPLOYED_EMAIL_SENDER"
TEMPLATE_EMAIL_SENDER = "bookings@example.com"  # template.yaml's EmailSender default, and the local stack's
# How long a deployment's listing may lag a change: the stream consumer's few seconds, plus ListingCacheSeconds (60 by
# default: each warm reads container keeps the listing's first pages that long; docs/scaling.md).
SETTLE_SECONDS = 90.0
SETTLE_POLL_SECONDS = 1.0

NO_CLOCK = (
    "needs the local stack's clock (/dev/clock): a deployment runs on real time, which no test can move "
    "(everything up to the move was checked)"
)
NO_OUTBOX = (
    "reads the messages sent (/dev/outbox): a deployment emails SES's mailbox simulator, which accepts and discards "
    "them, and keeps no readable copy; its notifications log holds delivery keys only "
    "(everything up to the read was checked)"
)
NO_DEAD_LETTERS = (
    "reads the local stack's dead letters (/dev/dlq): a deployment's dead-letter queues are shared with everything "
    "else that runs there (its alarms watch them) (everything up to the read was checked)"
)
NO_RESET = (
    "empties the local stack (/dev/reset): a deployment is never emptied (everything up to the reset was checked)"
)
NO_ISSUER = "needs tokens the local stack issues for any claims (/dev/token): Cognito issues a deployment's"
NO_PROCESS = "is about the local stack's own process"

_running: list[pytest.Item] = []  # the test running now, if tests/local_stack/conftest.py said so


def running(item: pytest.Item | None) -> None:
    """The test that runs from now on (None: none), whose markers the capabilities check."""
    _running[:] = [item] if item is not None else []


def _require(marker: str, what: str) -> None:
    """Fail a test that uses a capability without the marker saying so (`local_only` allows them all)."""
    if not _running:
        return
    item = _running[0]
    if item.get_closest_marker(marker) is None and item.get_closest_marker("local_only") is None:
        pytest.fail(
            f"{item.nodeid} uses {what}: mark it @pytest.mark.{marker} (tests/support/target.py)", pytrace=False
        )


def deployed() -> bool:
    """Do the suites run against a deployment (DEPLOYED_API_URL set) rather than the local stack?"""
    return bool(os.environ.get(DEPLOYED_API_URL, "").strip())


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class User:
    """A signed-in user of a target: the id the product knows them by (`sub`), their role, their ID token, and an
    email address the target can send to. The token is renewed if the local stack is started again."""

    sub: str
    role: str
    token: str
    email: str
    texts: bool = True  # may the product text them (the demo profiles' phone numbers)? Not on a deployment.

    def profile(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """`base` (a demo profile) made this user's: their email; where they get no texts, no phone either."""
        profile = {**base, "email": self.email}
        if not self.texts:
            profile.pop("phone", None)
            profile["sms_opt_in"] = False
        return profile


class Target(ABC):
    """A stack the suites drive over HTTP as front ends do, and what each kind of stack lets a test do besides."""

    http: Http
    email_sender_domain: str  # the domain of the stack's EMAIL_SENDER: it ends every calendar entry's UID
    reads_outbox: bool  # does `outbox()` answer (rather than skip the test)?

    @abstractmethod
    def new_user(self, role: str, label: str = "") -> User:
        """A new user of `role` (therapist, client or admin), signed in; `label` shows in their id or email."""

    @abstractmethod
    def now(self) -> datetime:
        """The stack's time now."""

    @abstractmethod
    def settled(self, read: Callable[[], T], until: Callable[[T], bool]) -> T:
        """What `read` returns once the stack has caught up with the writes before it (the listing: its rank kept by
        the standing projection, its first pages cached by each reads container): read again until `until` holds, or
        for SETTLE_SECONDS."""

    @abstractmethod
    def advance_clock(self, seconds: float) -> None:
        """Move the stack's clock forward: due schedules fire, the streams drain (`needs_clock`)."""

    @abstractmethod
    def outbox(self) -> dict[str, Any]:
        """Every message sent so far, `{emails, sms}` as /dev/outbox lists them (`needs_outbox`)."""

    @abstractmethod
    def dead_letters(self) -> dict[str, Any]:
        """What the stack's dead-letter queues hold, `{items}` as /dev/dlq lists them (`needs_dead_letters`)."""

    @abstractmethod
    def reset(self) -> None:
        """Empty every table, schedule and outbox (`needs_reset`)."""

    @abstractmethod
    def expired_token(self, user: User) -> str:
        """A token of `user`'s that expired a minute ago (`local_only`)."""

    @property
    @abstractmethod
    def process(self) -> StackProcess:
        """The local stack's process (`local_only`)."""

    def ensure_running(self) -> None:  # noqa: B027 (nothing to do but on the local stack)
        """Start the stack again if a test before stopped it."""

    def close(self) -> None:  # noqa: B027 (nothing to do but on a deployment)
        """What the target leaves once its module has run."""


class LocalTarget(Target):
    """The local stack in a subprocess: any user id, tokens from /dev/token, and every /dev route."""

    email_sender_domain = TEMPLATE_EMAIL_SENDER.split("@")[1]
    reads_outbox = True

    def __init__(self, process: StackProcess) -> None:
        self._process = process
        self.http = Http(process.base_url)
        self._users: list[User] = []

    def new_user(self, role: str, label: str = "") -> User:
        sub = f"{label or role}-{uuid.uuid4().hex[:10]}"
        user = User(sub, role, self.http.token(sub, role), f"{sub}@demo.invalid")
        self._users.append(user)
        return user

    def now(self) -> datetime:
        return instant(self.http.get("/dev/clock").json()["now"])

    def settled(self, read: Callable[[], T], until: Callable[[T], bool]) -> T:
        return read()  # the local stack drains its streams before it answers a request

    def advance_clock(self, seconds: float) -> None:
        _require("needs_clock", "the stack's clock")
        reply = self.http.post("/dev/clock", {"advance_seconds": seconds})
        assert reply.status == 200, reply.body

    def outbox(self) -> dict[str, Any]:
        _require("needs_outbox", "the outbox")
        reply = self.http.get("/dev/outbox")
        assert reply.status == 200, reply.body
        sent: dict[str, Any] = reply.json()
        return sent

    def dead_letters(self) -> dict[str, Any]:
        _require("needs_dead_letters", "the dead letters")
        reply = self.http.get("/dev/dlq")
        assert reply.status == 200, reply.body
        letters: dict[str, Any] = reply.json()
        return letters

    def reset(self) -> None:
        _require("needs_reset", "a reset")
        reply = self.http.post("/dev/reset")
        assert reply.status == 200, reply.body

    def expired_token(self, user: User) -> str:
        _require("local_only", "an expired token")
        return self.http.token(user.sub, user.role, expires_in=-60)

    @property
    def process(self) -> StackProcess:
        _require("local_only", "the stack's process")
        return self._process

    def ensure_running(self) -> None:
        """Started again (empty, and signing with a new key): the users made so far get new tokens."""
        if self._process.running:
            return
        self._process.start()
        for user in self._users:
            user.token = self.http.token(user.sub, user.role)


class DeployedTarget(Target):
    """A deployed stack: Cognito users the run makes, real time, and none of the local stack's /dev routes."""

    reads_outbox = False

    def __init__(
        self,
        url: str,
        users: CognitoTestUsers,
        email_sender: str = TEMPLATE_EMAIL_SENDER,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = Http(url.strip().rstrip("/"))
        self.users = users
        self.email_sender_domain = email_sender.rsplit("@", 1)[1]
        self.made: list[User] = []
        self._monotonic = monotonic
        self._sleep = sleep

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> DeployedTarget:
        """The deployment the environment names (the stack's outputs), with the caller's AWS credentials."""
        missing = [name for name in (DEPLOYED_USER_POOL_ID, DEPLOYED_USER_POOL_CLIENT_ID) if not environment.get(name)]
        if missing:
            pytest.fail(f"{DEPLOYED_API_URL} is set but not {', '.join(missing)} (docs/deploying.md)", pytrace=False)
        pool = environment[DEPLOYED_USER_POOL_ID]
        users = CognitoTestUsers(cognito_client(pool), pool, environment[DEPLOYED_USER_POOL_CLIENT_ID])
        sender = environment.get(DEPLOYED_EMAIL_SENDER) or TEMPLATE_EMAIL_SENDER
        return cls(environment[DEPLOYED_API_URL], users, sender)

    def new_user(self, role: str, label: str = "") -> User:
        made = self.users.user(role, label)
        user = User(made.sub, role, made.token, made.email, texts=False)
        self.made.append(user)
        return user

    def now(self) -> datetime:
        return datetime.now(UTC)

    def settled(self, read: Callable[[], T], until: Callable[[T], bool]) -> T:
        deadline = self._monotonic() + SETTLE_SECONDS
        while True:
            value = read()
            if until(value) or self._monotonic() >= deadline:
                return value
            self._sleep(SETTLE_POLL_SECONDS)

    def advance_clock(self, seconds: float) -> NoReturn:
        _require("needs_clock", "the stack's clock")
        pytest.skip(NO_CLOCK)

    def outbox(self) -> NoReturn:
        _require("needs_outbox", "the outbox")
        pytest.skip(NO_OUTBOX)

    def dead_letters(self) -> NoReturn:
        _require("needs_dead_letters", "the dead letters")
        pytest.skip(NO_DEAD_LETTERS)

    def reset(self) -> NoReturn:
        _require("needs_reset", "a reset")
        pytest.skip(NO_RESET)

    def expired_token(self, user: User) -> NoReturn:
        pytest.skip(NO_ISSUER)

    @property
    def process(self) -> NoReturn:
        pytest.skip(NO_PROCESS)

    def close(self) -> None:
        """Hide the therapists made, erase the clients (their sessions stay, stripped, as a platform's would),
        then delete every user; each step as far as it goes (a token may have expired on a long run)."""
        try:
            for user in self.made:
                with suppress(Exception):
                    if user.role == "therapist":
                        hide(self.http, user)
                    elif user.role == "client":
                        self.http.delete("/clients/me", token=user.token)
        finally:
            self.users.remove_all()
            self.made.clear()


def hide(http: Http, therapist: User) -> None:
    """The therapist's profile as it is, but hidden from clients."""
    reply = http.get("/therapists/me", token=therapist.token)
    if reply.status != 200:
        return  # never published
    profile = reply.json()
    body = {key: profile[key] for key in TherapistProfileRequest.model_fields if key in profile}
    http.put("/therapists/me", {**body, "visible": False}, token=therapist.token)


def cognito_client(user_pool_id: str) -> Any:
    """A boto3 cognito-idp client of the pool's region (its id's prefix), with the caller's own credentials: the
    tests' fake ones are in the environment otherwise (tests/conftest.py)."""
    import boto3  # the tests' own AWS access, outside the product's code

    with callers_environment():
        return boto3.session.Session().client("cognito-idp", region_name=user_pool_id.split("_", 1)[0])


@contextmanager
def open_target(environment: dict[str, str] | None = None) -> Iterator[Target]:
    """The deployment if DEPLOYED_API_URL names one, else the local stack started on a free port with
    `environment` added to its own (a deployment's settings are its stack parameters: a test that needs
    others is skipped there)."""
    if not deployed():
        with running_stack(environment) as process:
            yield LocalTarget(process)
        return
    if environment:
        pytest.skip(f"starts the local stack with {environment}: a deployment's settings are its stack parameters")
    target = DeployedTarget.from_environment(os.environ)
    try:
        yield target
    finally:
        target.close()


# The people the suites make: the demo profiles and availability (local_stack/demo.py), as the new user's.


def new_therapist(target: Target, label: str = "therapist", availability: Mapping[str, Any] | None = None) -> User:
    """A new therapist, published with the demo profile (their own email) and availability."""
    therapist = target.new_user("therapist", label)
    publish_therapist(target, therapist, availability)
    return therapist


def publish_therapist(target: Target, therapist: User, availability: Mapping[str, Any] | None = None) -> None:
    profile = target.http.put("/therapists/me", therapist.profile(demo.THERAPIST_PROFILE), token=therapist.token)
    assert profile.status == 200, profile.body
    weekly = target.http.put("/therapists/me/availability", availability or demo.AVAILABILITY, token=therapist.token)
    assert weekly.status == 200, weekly.body


def new_client(target: Target, label: str = "client", **overrides: Any) -> User:
    """A new client with the demo client's profile (their own email), `overrides` on top."""
    client = target.new_user("client", label)
    publish_client(target, client, **overrides)
    return client


def publish_client(target: Target, client: User, **overrides: Any) -> None:
    reply = target.http.put("/clients/me", {**client.profile(demo.CLIENT_PROFILE), **overrides}, token=client.token)
    assert reply.status == 200, reply.body
