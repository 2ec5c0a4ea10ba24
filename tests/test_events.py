"""The sample events of events/: one per template route, in the shape API Gateway sends, and each answered.

Every sample is an HTTP API payload v2.0 event as `sam local generate-event apigateway http-api-proxy`
produces it, with the claims API Gateway's JWT authorizer passes on (`cognito:groups` flattened to
"[clients]"). Each is sent to the real handler of the function the template routes it to, on moto,
first as it is and then after the state it needs has been arranged with the other samples. Every
DynamoDB call a sample causes must be allowed by that function's own policy in template.yaml.
"""

from __future__ import annotations

import copy
import importlib
import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl

import pytest
from botocore.client import BaseClient

from tests.support.calendar_feed import calendar_feed_environment
from tests.support.http import Answer, call
from tests.support.ical_server import ics
from tests.support.template import load_template, resources_of_type
from therapy_booking.adapters.calendar_fetch import SafeCalendarFetcher
from therapy_booking.api.problems import PROBLEM_CONTENT_TYPE
from therapy_booking.domain.calendar_import import FeedValidators, FetchedFeed

EVENTS_DIR = Path(__file__).resolve().parents[1] / "events"
EVENT_NAMES = sorted(path.stem for path in EVENTS_DIR.glob("*.json"))

# Keys `sam local generate-event apigateway http-api-proxy` always writes (cookies, stage variables and
# mTLS `authentication` only appear when a request has them; body, query and path parameters likewise).
TOP_LEVEL_KEYS = {"version", "routeKey", "rawPath", "rawQueryString", "headers", "requestContext", "isBase64Encoded"}
OPTIONAL_TOP_LEVEL_KEYS = {"cookies", "queryStringParameters", "body", "pathParameters", "stageVariables"}
REQUEST_CONTEXT_KEYS = {
    "accountId",
    "apiId",
    "authorizer",
    "domainName",
    "domainPrefix",
    "http",
    "requestId",
    "routeKey",
    "stage",
    "time",
    "timeEpoch",
}
HTTP_KEYS = {"method", "path", "protocol", "sourceIp", "userAgent"}
COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9-]+_[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Route:
    function: str
    event: str
    method: str
    path: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def module(self) -> str:
        code_uri: str = resources_of_type("AWS::Serverless::Function")[self.function]["Properties"]["CodeUri"]
        return code_uri.strip("/").replace("/", ".") + ".app"


def public_routes() -> set[str]:
    """Route keys of the routes without the API's authorizer (`Auth: Authorizer: NONE`): no token, no claims."""
    return {
        f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
        for function in resources_of_type("AWS::Serverless::Function").values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"
    }


def template_routes() -> dict[str, Route]:
    routes = {}
    for name, function in resources_of_type("AWS::Serverless::Function").items():
        for event_name, event in function["Properties"].get("Events", {}).items():
            if event["Type"] == "HttpApi":
                route = Route(name, event_name, event["Properties"]["Method"].upper(), event["Properties"]["Path"])
                routes[route.key] = route
    return routes


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return event


def claims(event: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = event["requestContext"]["authorizer"]["jwt"]["claims"]
    return found


def body(event: dict[str, Any]) -> Any:
    return json.loads(event["body"])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- what each sample is allowed to do, by the function's own policy ----------------------------


def _table_resource(resource: Any) -> str | None:
    """'table' or 'index/<pattern>' for the template's table ARNs (see tests/test_template.py)."""
    (table,) = resources_of_type("AWS::DynamoDB::Table")
    if resource in ({"Fn::GetAtt": f"{table}.Arn"}, {"Fn::GetAtt": [table, "Arn"]}):
        return "table"
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str):
        found = re.fullmatch(r"\$\{" + table + r"\.Arn\}/index/(.+)", resource["Fn::Sub"])
        return f"index/{found.group(1)}" if found else None
    return None


def allowed(function: str) -> set[tuple[str, str]]:
    """(action, resource pattern) pairs the function's inline policy allows: 'table', 'index/...', or 'other'."""
    pairs: set[tuple[str, str]] = set()
    for policy in resources_of_type("AWS::Serverless::Function")[function]["Properties"].get("Policies", []):
        if not isinstance(policy, dict):
            continue
        for statement in policy.get("Statement", []):
            if statement["Effect"] != "Allow":
                continue
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for resource in resources:
                pairs.update((action, _table_resource(resource) or "other") for action in actions)
    return pairs


TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def needed(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(IAM action, resource, table name) that an AWS call needs; transactions need each item's action."""
    if service != "dynamodb":
        return [(f"{service}:{operation}", "other", None)]
    if operation == "TransactWriteItems":
        return [
            (f"dynamodb:{TRANSACTION_ACTIONS[kind]}", "table", request["TableName"])
            for item in params["TransactItems"]
            for kind, request in item.items()
        ]
    if operation == "TransactGetItems":
        return [("dynamodb:GetItem", "table", item["Get"]["TableName"]) for item in params["TransactItems"]]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", "table", table) for table in params["RequestItems"]]
    resource = f"index/{params['IndexName']}" if "IndexName" in params else "table"
    return [(f"dynamodb:{operation}", resource, params["TableName"])]


@contextmanager
def recording_aws_calls() -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    """Every botocore call made inside (boto3 and PynamoDB alike), still sent on to moto."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def spy(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append((client.meta.service_model.service_name, operation, params))
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", new=spy):
        yield calls


# --- sending samples -----------------------------------------------------------------------------


def retarget(event: dict[str, Any], **path_parameters: str) -> dict[str, Any]:
    """The same request for other path parameters (an id the server made), paths rebuilt as API Gateway would."""
    event = copy.deepcopy(event)
    event["pathParameters"] = {**event["pathParameters"], **path_parameters}
    route = event["routeKey"].split(" ", 1)[1]
    path = re.sub(r"{(\w+)}", lambda m: event["pathParameters"][m.group(1)], route)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event


def rebody(event: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The same request with some body fields replaced (an id the server made), its content-length to match."""
    event = copy.deepcopy(event)
    text = json.dumps({**body(event), **fields}, separators=(",", ":"))
    event["body"] = text
    event["headers"]["content-length"] = str(len(text.encode()))
    return event


class Samples:
    """Sends sample events to the handler the template routes them to, checking what every answer may not be."""

    def __init__(self) -> None:
        self.routes = template_routes()

    def send(self, event: dict[str, Any]) -> Answer:
        route = self.routes[event["routeKey"]]
        handler = importlib.import_module(route.module).lambda_handler
        with recording_aws_calls() as calls:
            answer = call(handler, event)
        # never a route Powertools does not know, never a crash
        assert not (answer.status == 404 and answer.body["detail"] == "There is no such route."), event["routeKey"]
        assert answer.status < 500, answer.body
        if answer.status >= 400:
            assert answer.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
        # only the calls the function's own policy allows, on its own table
        permitted = allowed(route.function)
        for service, operation, params in calls:
            for action, resource, table in needed(service, operation, params):
                assert table in (None, os.environ["TABLE_NAME"]), f"{operation} on another table: {table}"
                assert any(action == granted and fnmatchcase(resource, pattern) for granted, pattern in permitted), (
                    f"{route.function} calls {action} on {resource}, which its policy in template.yaml does not allow"
                )
        return answer

    def run(self, name: str, **path_parameters: str) -> Answer:
        event = load(name)
        return self.send(retarget(event, **path_parameters) if path_parameters else event)

    # arrangements, made with the samples themselves so that they stay consistent with each other

    def published_therapist(self) -> str:
        assert self.run("put_therapist_profile").status == 200
        assert self.run("put_availability").status == 200
        return str(claims(load("put_therapist_profile"))["sub"])

    def booked_session(self) -> dict[str, Any]:
        self.published_therapist()
        booked = self.run("book_session")
        assert booked.status == 201, booked.body
        session: dict[str, Any] = booked.body
        return session

    def offered_session(self) -> dict[str, Any]:
        """The booked session with the offer_alternatives sample's times on offer."""
        session_id = self.booked_session()["session_id"]
        offered = self.run("offer_alternatives", session_id=session_id)
        assert offered.status == 201, offered.body
        session: dict[str, Any] = offered.body
        return session

    def awaiting_location_change(self) -> dict[str, Any]:
        """The booked session with the change_location sample's request waiting for the client."""
        session_id = self.booked_session()["session_id"]
        changed = self.run("change_location", session_id=session_id)
        assert (changed.status, changed.body["status"]) == (200, "awaiting_client"), changed.body
        session: dict[str, Any] = changed.body
        return session

    def free_starts(self) -> list[str]:
        """The starts the list_slots sample finds free."""
        answer = self.run("list_slots")
        assert answer.status == 200, answer.body
        return [slot["start"] for slot in answer.body["items"]]


def assert_not_found(answer: Answer, detail: str) -> None:
    assert answer.status == 404, answer.body
    assert answer.body["code"] == "not_found"
    assert answer.body["detail"] == detail


def assert_no_joining_link(public: Any) -> None:
    """A public profile names locations by kind and label: the put_therapist_profile sample's links are nowhere."""
    links = [loc["link"] for loc in body(load("put_therapist_profile"))["locations"] if loc.get("link")]
    assert links
    assert not any(link in json.dumps(public) for link in links)


def last_history(session: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = session["history"][-1]
    return entry


# --- the expected answer of each sample ----------------------------------------------------------

Case = Callable[[Samples], None]
CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    CASES[function.__name__.removeprefix("sample_")] = function
    return function


@case
def sample_put_therapist_profile(samples: Samples) -> None:
    # Given an empty table / When the therapist sends their profile / Then it is stored and echoed
    sent = body(load("put_therapist_profile"))
    answer = samples.run("put_therapist_profile")
    assert answer.status == 200, answer.body
    assert answer.body["therapist_id"] == claims(load("put_therapist_profile"))["sub"]
    for field in ("name", "email", "phone", "sms_opt_in", "timezone", "session_types", "visible"):
        assert answer.body[field] == sent[field], field
    locations = [{key: value for key, value in loc.items() if value is not None} for loc in answer.body["locations"]]
    assert locations == sent["locations"]
    assert (answer.body["accepting_bookings"], answer.body["deactivated"]) == (True, False)


@case
def sample_put_availability(samples: Samples) -> None:
    # Given an empty table / When the therapist publishes weekly availability / Then it is stored and echoed
    sent = body(load("put_availability"))
    answer = samples.run("put_availability")
    assert answer.status == 200, answer.body
    assert answer.body == {"therapist_id": claims(load("put_availability"))["sub"], **sent}


@case
def sample_add_block(samples: Samples) -> None:
    # Given an empty calendar / When the therapist blocks time / Then the block is created with an id
    sent = body(load("add_block"))
    answer = samples.run("add_block")
    assert answer.status == 201, answer.body
    assert answer.body["block_id"]
    assert (answer.body["start"], answer.body["end"], answer.body["note"]) == (sent["start"], sent["end"], sent["note"])


@case
def sample_delete_block(samples: Samples) -> None:
    # Given no block with the sample's id / When it is deleted / Then 404
    assert_not_found(samples.run("delete_block"), "There is no block with that id.")
    # Given the add_block sample's block / When the sample is sent for that block / Then 204, once
    block_id = samples.run("add_block").body["block_id"]
    answer = samples.run("delete_block", block_id=block_id)
    assert (answer.status, answer.body) == (204, None)
    assert_not_found(samples.run("delete_block", block_id=block_id), "There is no block with that id.")


@case
def sample_put_client_profile(samples: Samples) -> None:
    # Given an empty table / When the client sends their profile / Then it is stored and echoed
    sent = body(load("put_client_profile"))
    answer = samples.run("put_client_profile")
    assert answer.status == 200, answer.body
    assert answer.body == {"client_id": claims(load("put_client_profile"))["sub"], **sent}


@case
def sample_get_therapist_profile(samples: Samples) -> None:
    # Given no profile yet / When the therapist loads their own / Then 404
    assert_not_found(samples.run("get_therapist_profile"), "You have not published a therapist profile yet.")
    # Given the sample therapist has published / Then their own profile, as the PUT answered it
    samples.published_therapist()
    put = samples.run("put_therapist_profile")
    answer = samples.run("get_therapist_profile")
    assert answer.status == 200, answer.body
    assert answer.body == put.body
    assert answer.body["availability"] == body(load("put_availability"))


@case
def sample_list_blocks(samples: Samples) -> None:
    # Given no block / Then an empty list
    assert samples.run("list_blocks").body == {"items": []}
    # Given the add_block sample's block / When the therapist lists their blocks / Then it, as added
    added = samples.run("add_block")
    answer = samples.run("list_blocks")
    assert answer.status == 200, answer.body
    assert answer.body == {"items": [added.body]}


@case
def sample_get_client_profile(samples: Samples) -> None:
    # Given no profile yet / When the client loads their own / Then 404
    assert_not_found(samples.run("get_client_profile"), "You have not published a client profile yet.")
    # Given the put_client_profile sample / Then the profile it stored
    put = samples.run("put_client_profile")
    answer = samples.run("get_client_profile")
    assert (answer.status, answer.body) == (200, put.body)


@case
def sample_export_client_data(samples: Samples) -> None:
    # Given nothing of the sample's client / When they export their data / Then 200, nothing in it
    empty = samples.run("export_client_data")
    assert empty.status == 200, empty.body
    assert empty.body["client_id"] == claims(load("export_client_data"))["sub"]
    assert [empty.body[key] for key in ("profile", "assessment", "sessions", "reservations")] == [None, None, [], []]
    # Given their profile and a booking / Then both are in it, as the client's own reads answer them
    put = samples.run("put_client_profile")
    session = samples.booked_session()
    answer = samples.run("export_client_data")
    assert answer.status == 200, answer.body
    assert answer.body["profile"] == put.body
    assert answer.body["sessions"] == [samples.run("get_session", session_id=session["session_id"]).body]


@contextmanager
def user_pool_with(user_name: str) -> Iterator[str]:
    """A moto user pool holding the user, named in the environment as the template names it to the function."""
    import boto3

    cognito = boto3.client("cognito-idp")
    pool_id: str = cognito.create_user_pool(PoolName="samples")["UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=pool_id, Username=user_name)
    with mock.patch.dict(os.environ, {"USER_POOL_ID": pool_id}):
        yield pool_id


@case
def sample_erase_client(samples: Samples) -> None:
    client_id = str(claims(load("erase_client"))["sub"])
    with user_pool_with(client_id) as pool_id:
        # Given the sample's client with a profile and a booking ahead
        assert samples.run("put_client_profile").status == 200
        session = samples.booked_session()
        # When they erase their data / Then 204, and again 204
        answer = samples.run("erase_client")
        assert (answer.status, answer.body) == (204, None)
        assert samples.run("erase_client").status == 204
        # And the profile is gone, the session cancelled by the client and without its attendees, the account gone
        assert samples.run("get_client_profile").status == 404
        kept = samples.run("export_client_data").body["sessions"]
        assert [(s["session_id"], s["status"], s["cancelled_by"], s["attendees"]) for s in kept] == [
            (session["session_id"], "cancelled", "client", [])
        ]
        import boto3

        users = boto3.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"]
        assert users == []


@case
def sample_list_therapists(samples: Samples) -> None:
    # Given no therapist / Then an empty first page
    assert samples.run("list_therapists").body == {"items": [], "next_cursor": None}
    # Given the sample therapist has published / Then the directory lists them, publicly
    therapist_id = samples.published_therapist()
    answer = samples.run("list_therapists")
    assert answer.status == 200, answer.body
    assert [item["therapist_id"] for item in answer.body["items"]] == [therapist_id]
    assert "email" not in answer.body["items"][0] and "phone" not in answer.body["items"][0]
    assert_no_joining_link(answer.body)


@case
def sample_get_therapist(samples: Samples) -> None:
    # Given no such therapist / Then 404
    assert_not_found(samples.run("get_therapist"), "There is no therapist with that id.")
    # Given the sample therapist has published / Then their public profile, without contact details
    therapist_id = samples.published_therapist()
    answer = samples.run("get_therapist")
    assert answer.status == 200, answer.body
    assert answer.body["therapist_id"] == therapist_id == load("get_therapist")["pathParameters"]["therapist_id"]
    assert "email" not in answer.body and "phone" not in answer.body
    assert_no_joining_link(answer.body)


@case
def sample_list_slots(samples: Samples) -> None:
    # Given no such therapist / Then 404
    assert_not_found(samples.run("list_slots"), "There is no therapist with that id.")
    # Given the sample therapist has published profile and availability
    samples.published_therapist()
    query = load("list_slots")["queryStringParameters"]
    # When a client asks for a week of individual slots
    answer = samples.run("list_slots")
    # Then every slot is a 50-minute individual session inside the week, and the booking sample's start is one
    assert answer.status == 200, answer.body
    starts = [slot["start"] for slot in answer.body["items"]]
    assert starts
    for slot in answer.body["items"]:
        assert instant(query["from"]) <= instant(slot["start"]) < instant(query["to"])
        assert instant(slot["end"]) - instant(slot["start"]) == timedelta(minutes=50)
    assert body(load("book_session"))["start"] in starts


@case
def sample_book_session(samples: Samples) -> None:
    # Given the therapist has not published / Then 404 (and the failure is not remembered for the key)
    assert_not_found(samples.run("book_session"), "There is no therapist with that id.")
    # Given the sample therapist has published / When the client books / Then a pending session
    samples.published_therapist()
    sent = body(load("book_session"))
    answer = samples.run("book_session")
    assert answer.status == 201, answer.body
    session = answer.body
    assert session["status"] == "pending"
    assert session["client_id"] == claims(load("book_session"))["sub"]
    assert (session["therapist_id"], session["start"]) == (sent["therapist_id"], sent["start"])
    assert session["price"] == {"amount": 6000, "currency": "GBP"}
    # When the same request is repeated with its Idempotency-Key / Then the first answer, and no second session
    assert load("book_session")["headers"]["idempotency-key"]
    again = samples.run("book_session")
    assert (again.status, again.body["session_id"]) == (201, session["session_id"])
    assert len(samples.run("list_sessions").body["items"]) == 1


@case
def sample_list_sessions(samples: Samples) -> None:
    # Given the client has no session / Then an empty page
    assert samples.run("list_sessions").body == {"items": [], "next_cursor": None}
    # Given the client has booked (pending) / Then the listing of pending sessions holds it
    session = samples.booked_session()
    answer = samples.run("list_sessions")
    assert answer.status == 200, answer.body
    assert load("list_sessions")["queryStringParameters"]["status"] == "pending"
    assert [item["session_id"] for item in answer.body["items"]] == [session["session_id"]]


@case
def sample_get_session(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("get_session"), "There is no session with that id.")
    # Given the client's booked session / When the sample asks for it / Then it
    session = samples.booked_session()
    answer = samples.run("get_session", session_id=session["session_id"])
    assert answer.status == 200, answer.body
    assert answer.body == session


@case
def sample_confirm_session(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("confirm_session"), "There is no session with that id.")
    # Given a pending booking with the sample therapist / When they confirm it / Then it is confirmed
    session = samples.booked_session()
    answer = samples.run("confirm_session", session_id=session["session_id"])
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["version"]) == ("confirmed", session["version"] + 1)


@case
def sample_decline_session(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("decline_session"), "There is no session with that id.")
    # Given a pending booking / When the therapist declines it with the sample's reason / Then it is declined
    session = samples.booked_session()
    answer = samples.run("decline_session", session_id=session["session_id"])
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "declined"
    assert answer.body["decline_reason"] == body(load("decline_session"))["reason"]


@case
def sample_cancel_session(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("cancel_session"), "There is no session with that id.")
    # Given a pending booking / When the client cancels it with the sample's reason / Then a full refund, no payout
    session = samples.booked_session()
    answer = samples.run("cancel_session", session_id=session["session_id"])
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["cancelled_by"]) == ("cancelled", "client")
    assert answer.body["cancellation_reason"] == body(load("cancel_session"))["reason"]
    assert answer.body["refund"] == session["price"]
    assert answer.body["therapist_payout"]["amount"] == 0


@case
def sample_get_cancellation_terms(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("get_cancellation_terms"), "There is no session with that id.")
    # Given a pending booking / When its client asks / Then a full refund whatever the time, and nothing changes
    session = samples.booked_session()
    answer = samples.run("get_cancellation_terms", session_id=session["session_id"])
    assert answer.status == 200, answer.body
    assert (answer.body["cancelled_by"], answer.body["full_refund_until"]) == ("client", None)
    assert answer.body["refund"] == session["price"]
    assert answer.body["therapist_payout"]["amount"] == answer.body["platform_commission"]["amount"] == 0
    assert samples.run("get_session", session_id=session["session_id"]).body == session
    # Given the therapist confirmed it / Then the refund is full until the cancellation window before the start
    assert samples.run("confirm_session", session_id=session["session_id"]).status == 200
    confirmed = samples.run("get_cancellation_terms", session_id=session["session_id"])
    assert confirmed.status == 200, confirmed.body
    assert instant(confirmed.body["full_refund_until"]) == instant(session["start"]) - timedelta(hours=24)
    assert confirmed.body["refund"] == session["price"]


@case
def sample_reschedule_session(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("reschedule_session"), "There is no session with that id.")
    # Given a pending booking / When the therapist moves it at the client's request
    session = samples.booked_session()
    sent = body(load("reschedule_session"))
    answer = samples.run("reschedule_session", session_id=session["session_id"])
    # Then it is confirmed at the new time, with the same length, and the move is in its history
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["start"]) == ("confirmed", sent["start"])
    assert instant(answer.body["end"]) - instant(answer.body["start"]) == timedelta(minutes=50)
    assert answer.body["version"] == session["version"] + 1
    entry = last_history(answer.body)
    assert (entry["action"], entry["actor_role"], entry["reason"]) == ("rescheduled", "therapist", sent["reason"])
    assert entry["actor_id"] == claims(load("reschedule_session"))["sub"]
    # And the old time is bookable again while the new one is taken
    free = samples.free_starts()
    assert session["start"] in free and sent["start"] not in free


@case
def sample_change_location(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("change_location"), "There is no session with that id.")
    # Given a pending booking / When the therapist asks to move it online for their own reasons
    session = samples.booked_session()
    sent = body(load("change_location"))
    answer = samples.run("change_location", session_id=session["session_id"])
    # Then the client must agree within 24 hours; until then the location is unchanged
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "awaiting_client"
    assert answer.body["location"] == session["location"]
    assert answer.body["pending_location"]["id"] == sent["location_id"]
    assert answer.body["pending_location"]["kind"] == "online" and answer.body["pending_location"]["link"]
    assert instant(answer.body["change_expires_at"]) - instant(answer.body["updated_at"]) == timedelta(hours=24)
    entry = last_history(answer.body)
    assert (entry["action"], entry["actor_role"], entry["reason"]) == (
        "location_change_requested",
        "therapist",
        sent["reason"],
    )


@case
def sample_offer_alternatives(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("offer_alternatives"), "There is no session with that id.")
    # Given a pending booking / When the therapist offers the sample's alternative times
    session = samples.booked_session()
    sent = [alternative["start"] for alternative in body(load("offer_alternatives"))["alternatives"]]
    answer = samples.run("offer_alternatives", session_id=session["session_id"])
    # Then 201: the session waits for the client's choice, each alternative with its own id, for 24 hours
    assert answer.status == 201, answer.body
    assert answer.body["status"] == "alternatives_offered"
    assert answer.body["start"] == session["start"]
    offer = answer.body["offer"]
    assert [alternative["start"] for alternative in offer["alternatives"]] == sorted(sent)
    for alternative in offer["alternatives"]:
        assert instant(alternative["end"]) - instant(alternative["start"]) == timedelta(minutes=50)
    assert len({alternative["alternative_id"] for alternative in offer["alternatives"]}) == len(sent)
    assert offer["offer_id"]
    assert instant(offer["expires_at"]) - instant(answer.body["updated_at"]) == timedelta(hours=24)
    entry = last_history(answer.body)
    assert (entry["action"], entry["actor_role"], entry["reason"]) == (
        "alternatives_offered",
        "therapist",
        "therapist_unavailable",
    )
    # And the alternatives and the original time are held: nobody else can book them
    free = samples.free_starts()
    assert not {session["start"], *sent} & set(free)
    # And a second offer is refused while this one is open
    again = samples.run("offer_alternatives", session_id=session["session_id"])
    assert (again.status, again.body["code"]) == (409, "offer_already_open")


@case
def sample_accept_location_change(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("accept_location_change"), "There is no session with that id.")
    # Given the therapist asked to move the booked session online / When the client agrees
    requested = samples.awaiting_location_change()
    answer = samples.run("accept_location_change", session_id=requested["session_id"])
    # Then the session is confirmed at the new location, and nothing is pending any more
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "confirmed"
    assert answer.body["location"] == requested["pending_location"]
    assert (answer.body["pending_location"], answer.body["change_expires_at"]) == (None, None)
    entry = last_history(answer.body)
    assert (entry["action"], entry["actor_role"]) == ("location_change_accepted", "client")
    # And a second answer has nothing to answer
    again = samples.run("accept_location_change", session_id=requested["session_id"])
    assert (again.status, again.body["code"]) == (409, "invalid_transition")


@case
def sample_reject_location_change(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("reject_location_change"), "There is no session with that id.")
    # Given the therapist asked to move the booked session online / When the client refuses
    requested = samples.awaiting_location_change()
    answer = samples.run("reject_location_change", session_id=requested["session_id"])
    # Then the session is cancelled by the client's answer and refunded in full; its time is free again
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["cancelled_by"]) == ("cancelled", "client")
    assert answer.body["refund"] == requested["price"]
    assert answer.body["pending_location"] is None
    assert requested["start"] in samples.free_starts()


@case
def sample_accept_offer(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("accept_offer"), "There is no session with that id.")
    # Given the offer_alternatives sample's times are on offer
    offered = samples.offered_session()
    session_id = offered["session_id"]
    alternatives = offered["offer"]["alternatives"]
    # When the client names an alternative that is not in this offer (the sample's fixed id) / Then 422
    unknown = samples.run("accept_offer", session_id=session_id)
    assert (unknown.status, unknown.body["code"]) == (422, "validation_error")
    # When the client takes the second alternative
    chosen = alternatives[1]
    event = rebody(retarget(load("accept_offer"), session_id=session_id), alternative_id=chosen["alternative_id"])
    answer = samples.send(event)
    # Then the session is confirmed at that time and the offer is closed
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "confirmed"
    assert (answer.body["start"], answer.body["end"]) == (chosen["start"], chosen["end"])
    assert answer.body["offer"] is None
    entry = last_history(answer.body)
    assert (entry["action"], entry["actor_role"]) == ("offer_accepted", "client")
    # And the original time and the other alternatives are released at once; the chosen time stays taken
    free = samples.free_starts()
    assert offered["start"] in free
    assert all(a["start"] in free for a in alternatives if a is not chosen)
    assert chosen["start"] not in free


@case
def sample_reject_offer(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404
    assert_not_found(samples.run("reject_offer"), "There is no session with that id.")
    # Given the offer_alternatives sample's times are on offer / When the client refuses them all
    offered = samples.offered_session()
    answer = samples.run("reject_offer", session_id=offered["session_id"])
    # Then the session is cancelled by the client's answer and refunded in full
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["cancelled_by"]) == ("cancelled", "client")
    assert answer.body["refund"] == offered["price"]
    assert answer.body["offer"] is None
    # And every held time is free again
    free = samples.free_starts()
    assert {offered["start"], *(a["start"] for a in offered["offer"]["alternatives"])} <= set(free)


@case
def sample_list_audit(samples: Samples) -> None:
    # Given no admin has read a session / Then the admin's trail is an empty first page
    admin_id = load("list_audit")["queryStringParameters"]["admin_id"]
    assert admin_id == claims(load("list_audit"))["sub"]
    assert samples.run("list_audit").body == {"items": [], "next_cursor": None}
    # Given the client's booked session, and the client's own read of it (not audited)
    session = samples.booked_session()
    assert samples.run("get_session", session_id=session["session_id"]).status == 200
    assert samples.run("list_audit").body["items"] == []
    # When the sample's admin reads it with the get_session sample (as the admin)
    read = retarget(load("get_session"), session_id=session["session_id"])
    read["requestContext"]["authorizer"] = load("list_audit")["requestContext"]["authorizer"]
    assert samples.send(read).status == 200
    # Then the admin's trail holds that one read: who, what, which session, which request, when
    answer = samples.run("list_audit")
    assert answer.status == 200, answer.body
    (entry,) = answer.body["items"]
    assert {key: value for key, value in entry.items() if key != "at"} == {
        "admin_id": admin_id,
        "action": "session.read",
        "session_id": session["session_id"],
        "request_id": read["requestContext"]["requestId"],
    }
    assert instant(entry["at"])


@case
def sample_admin_rearrange(samples: Samples) -> None:
    # Given no session with the sample's id / Then 404 (admins see every session, but not this one)
    assert_not_found(samples.run("admin_rearrange"), "There is no session with that id.")
    # Given a pending booking / When the team moves and confirms it, with its reason and note
    session = samples.booked_session()
    sent = body(load("admin_rearrange"))
    answer = samples.run("admin_rearrange", session_id=session["session_id"])
    # Then the session is confirmed at the new time, and the history keeps who did it, why and the note
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["start"]) == (sent["status"], sent["start"])
    entry = last_history(answer.body)
    assert (entry["action"], entry["actor_role"], entry["reason"], entry["note"]) == (
        "admin_rearranged",
        "admin",
        sent["reason"],
        sent["note"],
    )
    assert entry["actor_id"] == claims(load("admin_rearrange"))["sub"]
    # And the old time is free again while the new one is taken
    free = samples.free_starts()
    assert session["start"] in free and sent["start"] not in free


@case
def sample_reactivate_therapist(samples: Samples) -> None:
    # Given the sample's therapist has no profile yet / Then 404
    assert_not_found(samples.run("reactivate_therapist"), "There is no therapist with that id.")
    # Given the therapist has published a profile / When the team reactivates the account with a note
    samples.published_therapist()
    answer = samples.run("reactivate_therapist")
    # Then the standing comes back: active, streak 0, not flagged
    assert answer.status == 200, answer.body
    assert_newcomers_standing(answer.body, claims(load("put_therapist_profile"))["sub"])


def assert_newcomers_standing(standing: dict[str, Any], therapist_id: str) -> None:
    """A therapist with no history: no answers, no streak, the neutral rank."""
    assert {key: standing[key] for key in ("therapist_id", "cancellation_streak", "flagged", "deactivated")} == {
        "therapist_id": therapist_id,
        "cancellation_streak": 0,
        "flagged": False,
        "deactivated": False,
    }
    assert standing["response_time"] == {"median_business_minutes": None, "samples": 0, "within_sla_ratio": None}
    assert standing["rearrangements"] == {"own_reason": 0, "total_sessions": 0, "rate": 0.0}
    assert standing["rank_score"] == 0.73


@case
def sample_get_own_standing(samples: Samples) -> None:
    # Given no profile yet / When the therapist reads their standing / Then 404
    assert_not_found(samples.run("get_own_standing"), "You have not published a therapist profile yet.")
    # Given the sample therapist has published / Then a newcomer's standing
    samples.published_therapist()
    answer = samples.run("get_own_standing")
    assert answer.status == 200, answer.body
    assert_newcomers_standing(answer.body, claims(load("get_own_standing"))["sub"])


@case
def sample_therapist_standing(samples: Samples) -> None:
    # Given the sample's therapist has no profile yet / When the team reads their standing / Then 404
    assert_not_found(samples.run("therapist_standing"), "There is no therapist with that id.")
    # Given the therapist has published a profile / Then the team sees a newcomer's standing
    samples.published_therapist()
    answer = samples.run("therapist_standing")
    assert answer.status == 200, answer.body
    assert_newcomers_standing(answer.body, claims(load("put_therapist_profile"))["sub"])


@contextmanager
def calendar_feed_answering(body: bytes) -> Iterator[None]:
    """The sample's calendar address answering `body` (tests reach no network: the fetch is the boundary)."""
    fetched = FetchedFeed(body, FeedValidators(etag='"v1"'))
    with mock.patch.object(SafeCalendarFetcher, "fetch", return_value=fetched):
        yield


BUSY_FEED = ics((datetime(2026, 12, 2, 10, 0, tzinfo=UTC), datetime(2026, 12, 2, 11, 0, tzinfo=UTC)))


@case
def sample_connect_calendar(samples: Samples) -> None:
    # Given no profile yet / Then 404
    with calendar_feed_answering(BUSY_FEED):
        assert_not_found(samples.run("connect_calendar"), "You have not published a therapist profile yet.")
        # Given the therapist has published / When they connect the sample's Google address
        samples.published_therapist()
        answer = samples.run("connect_calendar")
    # Then it is synced at once: the host only, one busy event
    assert answer.status == 200, answer.body
    assert (answer.body["host"], answer.body["status"], answer.body["busy_count"]) == ("calendar.google.com", "ok", 1)
    assert "private-" not in json.dumps(answer.body)


@case
def sample_calendar_status(samples: Samples) -> None:
    samples.published_therapist()
    assert_not_found(samples.run("calendar_status"), "You have not connected a calendar.")
    with calendar_feed_answering(BUSY_FEED):
        assert samples.run("connect_calendar").status == 200
    answer = samples.run("calendar_status")
    assert (answer.status, answer.body["status"], answer.body["busy_count"]) == (200, "ok", 1)


@case
def sample_sync_calendar(samples: Samples) -> None:
    samples.published_therapist()
    assert_not_found(samples.run("sync_calendar"), "You have not connected a calendar.")
    with calendar_feed_answering(BUSY_FEED):
        assert samples.run("connect_calendar").status == 200
        answer = samples.run("sync_calendar")
    assert (answer.status, answer.body["status"]) == (200, "ok")


@case
def sample_disconnect_calendar(samples: Samples) -> None:
    samples.published_therapist()
    with calendar_feed_answering(BUSY_FEED):
        assert samples.run("connect_calendar").status == 200
    assert samples.run("disconnect_calendar").status == 204
    assert_not_found(samples.run("calendar_status"), "You have not connected a calendar.")


def feed_path(url: str) -> str:
    return url.removeprefix("https://" + load("get_calendar_feed")["requestContext"]["domainName"])


@case
def sample_get_calendar_feed(samples: Samples) -> None:
    with calendar_feed_environment():
        # Given a therapist without a feed / When the sample asks for its address, twice
        first = samples.run("get_calendar_feed")
        # Then the API's own https address of an unguessable token, the same both times
        assert first.status == 200, first.body
        domain = load("get_calendar_feed")["requestContext"]["domainName"]
        assert re.fullmatch(rf"https://{re.escape(domain)}/calendar-feeds/[A-Za-z0-9_-]{{43}}\.ics", first.body["url"])
        assert samples.run("get_calendar_feed").body == first.body


@case
def sample_rotate_calendar_feed(samples: Samples) -> None:
    with calendar_feed_environment():
        # Given the sample therapist's feed address
        old = samples.run("get_calendar_feed").body["url"]
        # When the sample rotates it / Then a new address, which the address route gives from now on
        answer = samples.run("rotate_calendar_feed")
        assert answer.status == 200, answer.body
        assert answer.body["url"] != old
        assert samples.run("get_calendar_feed").body == answer.body
        # And the old address is 404 at once, the new one answers
        old_feed = feed_path(old).removeprefix("/calendar-feeds/")
        assert_not_found(
            samples.run("get_calendar_feed_ics", feed=old_feed), "There is no calendar feed at that address."
        )
        new_feed = feed_path(answer.body["url"]).removeprefix("/calendar-feeds/")
        assert samples.run("get_calendar_feed_ics", feed=new_feed).status == 200


@case
def sample_get_calendar_feed_ics(samples: Samples) -> None:
    with calendar_feed_environment():
        # Given no feed with the sample's token / Then 404
        assert_not_found(samples.run("get_calendar_feed_ics"), "There is no calendar feed at that address.")
        # Given the sample therapist's booked session and their feed's address
        session = samples.booked_session()
        feed = feed_path(samples.run("get_calendar_feed").body["url"]).removeprefix("/calendar-feeds/")
        # When the sample (no token, as a calendar app sends it) reads that feed
        answer = samples.run("get_calendar_feed_ics", feed=feed)
        # Then the session is in it, tentative, under its invitation's UID
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert f"UID:{session['session_id']}@example.com" in answer.body
        assert "STATUS:TENTATIVE" in answer.body


# --- tests -----------------------------------------------------------------------------------------


def test_there_is_one_sample_per_template_route_named_after_its_event() -> None:
    # Given the routes of template.yaml and the samples of events/
    routes = template_routes()
    samples = {name: load(name)["routeKey"] for name in EVENT_NAMES}
    # Then every route has exactly one sample, named after the template's event (BookSession: book_session.json)
    assert sorted(samples.values()) == sorted(routes), "one sample per route, and no sample for a missing route"
    for name, route_key in samples.items():
        assert name == snake_case(routes[route_key].event)


def test_every_sample_has_its_expected_answer_written_down() -> None:
    assert sorted(CASES) == EVENT_NAMES


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_sample_is_an_http_api_v2_event_of_a_template_route(name: str) -> None:
    # Given a sample event
    event = load(name)
    route = template_routes().get(event["routeKey"])
    # Then it is a payload v2.0 event for a route the template declares
    assert event["version"] == "2.0"
    assert route is not None, f"{event['routeKey']} is not declared in template.yaml"
    assert TOP_LEVEL_KEYS <= set(event) <= TOP_LEVEL_KEYS | OPTIONAL_TOP_LEVEL_KEYS
    context = event["requestContext"]
    public = event["routeKey"] in public_routes()
    # (a route without the authorizer gets no authorizer context)
    assert set(context) == (REQUEST_CONTEXT_KEYS - {"authorizer"} if public else REQUEST_CONTEXT_KEYS)
    assert set(context["http"]) == HTTP_KEYS
    assert context["routeKey"] == event["routeKey"]
    assert context["http"]["method"] == route.method
    assert context["stage"] == "$default"
    # And its path is the route's, filled with its path parameters
    parameters = re.findall(r"{(\w+)}", route.path)
    assert sorted(event.get("pathParameters", {})) == sorted(parameters)
    path = re.sub(r"{(\w+)}", lambda m: event["pathParameters"][m.group(1)], route.path)
    assert event["rawPath"] == context["http"]["path"] == path
    # And the query string and its parsed parameters agree
    assert dict(parse_qsl(event["rawQueryString"])) == event.get("queryStringParameters", {})
    # And headers are lower-case, with the bearer token API Gateway verified (none on a public route: calendar
    # apps send none)
    assert all(header == header.lower() for header in event["headers"])
    if public:
        assert "authorization" not in event["headers"]
    else:
        assert event["headers"]["authorization"].startswith("Bearer ")
    # And a JSON body arrives as text, not base64
    assert event["isBase64Encoded"] is False
    if "body" in event:
        assert event["headers"]["content-type"] == "application/json"
        assert isinstance(body(event), dict)


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_sample_carries_cognito_id_token_claims_as_api_gateway_flattens_them(name: str) -> None:
    # Given a sample's JWT authorizer context (a route without the authorizer has none: see the test above)
    event = load(name)
    if event["routeKey"] in public_routes():
        assert "authorizer" not in event["requestContext"]
        return
    jwt = event["requestContext"]["authorizer"]["jwt"]
    found = jwt["claims"]
    # Then the claims are an id token's, every value a string (API Gateway passes claims as strings)
    assert all(isinstance(value, str) for value in found.values())
    assert found["sub"] and found["cognito:username"] == found["sub"]
    assert found["token_use"] == "id"
    assert COGNITO_ISSUER.match(found["iss"])
    assert int(found["iat"]) < int(event["requestContext"]["timeEpoch"]) // 1000 < int(found["exp"])
    # And the group list is flattened to "[group ...]", as HTTP API does with list claims
    assert re.fullmatch(r"\[(therapists|clients|admins)( (therapists|clients|admins))*\]", found["cognito:groups"])
    assert jwt["scopes"] is None


def test_samples_agree_on_who_is_who() -> None:
    # Given the samples / Then the therapist routes are sent by the therapist the client routes name
    therapist = claims(load("put_therapist_profile"))["sub"]
    client = claims(load("book_session"))["sub"]
    assert therapist != client
    therapist_samples = (
        "put_availability",
        "get_therapist_profile",
        "list_blocks",
        "add_block",
        "delete_block",
        "confirm_session",
        "decline_session",
        "get_calendar_feed",
        "rotate_calendar_feed",
    )
    rearrangements = ("reschedule_session", "change_location", "offer_alternatives")
    for name in therapist_samples + rearrangements:
        assert (claims(load(name))["sub"], claims(load(name))["cognito:groups"]) == (therapist, "[therapists]")
    client_samples = (
        "put_client_profile",
        "get_client_profile",
        "list_therapists",
        "get_therapist",
        "list_slots",
        "list_sessions",
    )
    answers = ("accept_location_change", "reject_location_change", "accept_offer", "reject_offer")
    for name in client_samples + answers:
        assert (claims(load(name))["sub"], claims(load(name))["cognito:groups"]) == (client, "[clients]")
    for name in ("get_session", "cancel_session", "get_cancellation_terms"):
        assert claims(load(name))["sub"] == client
    # And the team's fix is sent by an admin who is neither
    admin = claims(load("admin_rearrange"))
    assert admin["cognito:groups"] == "[admins]" and admin["sub"] not in (therapist, client)
    # And every session sample names the booked session the arrangements make
    session_samples = [name for name in EVENT_NAMES if "session_id" in load(name).get("pathParameters", {})]
    assert len(session_samples) >= 12
    assert {load(name)["pathParameters"]["session_id"] for name in session_samples} == {
        load("get_session")["pathParameters"]["session_id"]
    }
    assert body(load("book_session"))["therapist_id"] == therapist
    assert load("get_therapist")["pathParameters"]["therapist_id"] == therapist
    assert load("list_slots")["pathParameters"]["therapist_id"] == therapist


def reserved(samples: Samples) -> dict[str, Any]:
    """The reserve_slots sample's reservation, for the put_client_profile sample's client."""
    samples.published_therapist()
    assert samples.run("put_client_profile").status == 200
    assert samples.run("book_session").status == 201  # an ongoing client: booked with the therapist before
    answer = samples.run("reserve_slots")
    assert answer.status == 201, answer.body
    reservation: dict[str, Any] = answer.body
    return reservation


@case
def sample_reserve_slots(samples: Samples) -> None:
    # Given no profile yet / Then 404
    assert_not_found(samples.run("reserve_slots"), "Publish your therapist profile first.")
    # Given the therapist has published, and the client has a profile / When they reserve 12 Tuesdays at 18:00
    reservation = reserved(samples)
    sent = body(load("reserve_slots"))
    # Then all twelve are held for that client, a week apart, at 18:00 London time (GMT all winter)
    assert (reservation["client_id"], reservation["every_weeks"]) == (sent["client_id"], 1)
    assert [o["status"] for o in reservation["occurrences"]] == ["held"] * 12
    starts = [instant(o["start"]) for o in reservation["occurrences"]]
    assert starts[0] == instant(sent["first_start"])
    assert {b - a for a, b in itertools.pairwise(starts)} == {timedelta(weeks=1)}
    # When the same is asked again / Then 409 naming each of the twelve clashing starts, nothing more reserved
    again = samples.run("reserve_slots")
    assert (again.status, again.body["code"]) == (409, "slot_unavailable")
    assert again.body["clashing_starts"] == [o["start"] for o in reservation["occurrences"]]
    assert len(samples.run("list_reservations").body["items"]) == 1


@case
def sample_list_reservations(samples: Samples) -> None:
    samples.published_therapist()
    assert samples.run("list_reservations").body == {"items": []}
    reservation = reserved(samples)
    assert samples.run("list_reservations").body == {"items": [reservation]}


@case
def sample_delete_reservation(samples: Samples) -> None:
    # Given no reservation with the sample's id / Then 404
    assert_not_found(samples.run("delete_reservation"), "There is no reservation with that id.")
    # Given the reserve_slots sample's reservation / When it is deleted / Then 204, and it is listed no more
    reservation_id = reserved(samples)["reservation_id"]
    answer = samples.run("delete_reservation", reservation_id=reservation_id)
    assert answer.status == 204
    assert samples.run("list_reservations").body == {"items": []}
    # And deleting it again changes nothing
    assert samples.run("delete_reservation", reservation_id=reservation_id).status == 204


@case
def sample_list_client_reservations(samples: Samples) -> None:
    assert samples.run("list_client_reservations").body == {"items": []}
    reservation = reserved(samples)
    assert claims(load("list_client_reservations"))["sub"] == reservation["client_id"]
    assert samples.run("list_client_reservations").body == {"items": [reservation]}


@case
def sample_assessment_questions(samples: Samples) -> None:
    # Given anyone signed in / When they ask for the questionnaire / Then PHQ-9's 9 and GAD-7's 7 questions, scored 0-3
    answer = samples.run("assessment_questions")
    assert answer.status == 200, answer.body
    assert [len(i["questions"]) for i in answer.body["instruments"]] == [9, 7]
    assert [c["value"] for c in answer.body["scale"]] == [0, 1, 2, 3]


@case
def sample_put_assessment(samples: Samples) -> None:
    # Given the client / When they send the sample's answers / Then scored: PHQ-9 15 (moderately severe), GAD-7 13
    answer = samples.run("put_assessment")
    assert answer.status == 200, answer.body
    assert answer.body["scores"] == {
        "phq9": {"total": 15, "band": "moderately_severe"},
        "gad7": {"total": 13, "band": "moderate"},
    }
    assert (answer.body["self_harm_flag"], answer.body["crisis_guidance"]) == (False, None)


@case
def sample_get_own_assessment(samples: Samples) -> None:
    assert_not_found(samples.run("get_own_assessment"), "You have not filled in the self-assessment yet.")
    put = samples.run("put_assessment")
    assert samples.run("get_own_assessment").body == put.body


@case
def sample_get_client_assessment(samples: Samples) -> None:
    # Given the client's assessment, and a therapist they have not booked with / Then 404
    samples.published_therapist()
    put = samples.run("put_assessment")
    unknown = "There is no assessment you can read for that client."
    assert_not_found(samples.run("get_client_assessment"), unknown)
    # Given the client books with that therapist / Then the therapist reads it (no crisis guidance: not theirs)
    assert samples.run("book_session").status == 201
    answer = samples.run("get_client_assessment")
    assert answer.status == 200, answer.body
    assert answer.body == {**put.body, "crisis_guidance": None}


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_sample_is_answered_by_its_function_as_expected(name: str, aws: Any) -> None:
    # Given the template's table on moto / When the sample (and its arrangements) are sent / Then see its case
    assert name in CASES, f"write down what events/{name}.json should get"
    CASES[name](Samples())


def test_the_permission_check_can_fail() -> None:
    # Given a call that the reads function's policy does not allow
    (table,) = resources_of_type("AWS::DynamoDB::Table")
    assert table in load_template()["Resources"]
    write = needed("dynamodb", "UpdateItem", {"TableName": os.environ["TABLE_NAME"], "Key": {}})  # (it puts audits)
    # Then it is not among the reads function's permissions, while a query of an index is
    assert not any(
        action == granted and fnmatchcase(resource, pattern)
        for action, resource, _ in write
        for granted, pattern in allowed("ReadsFunction")
    )
    query = needed("dynamodb", "Query", {"TableName": os.environ["TABLE_NAME"], "IndexName": "gsi2"})
    assert any(
        action == granted and fnmatchcase(resource, pattern)
        for action, resource, _ in query
        for granted, pattern in allowed("ReadsFunction")
    )
