"""The OpenAPI document says what the handlers do: every answer a route can give, and constraints on text and
instants that accept exactly what the handlers accept."""

from __future__ import annotations

import sys
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from local_stack.openapi import merged_openapi
from local_stack.template import functions
from therapy_booking.api.openapi import BODY_ERRORS, ERROR_DESCRIPTIONS, EVERY_ROUTE
from therapy_booking.api.schemas import fields

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return merged_openapi(functions(), "http://127.0.0.1:3000")


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items() for method, operation in item.items()]


def test_every_operation_documents_every_error_it_can_answer_as_a_problem(document: dict[str, Any]) -> None:
    found = operations(document)
    assert len(found) >= 22
    for method, path, operation in found:
        answers = operation["responses"]
        public = operation.get("security") == []  # no authorizer: API Gateway never answers 401 there
        expected = {*EVERY_ROUTE, *(BODY_ERRORS if "requestBody" in operation else ())} - ({401} if public else set())
        assert expected <= {int(code) for code in answers}, (method, path)
        for code, answer in answers.items():
            if int(code) >= 400:
                assert answer["description"] == ERROR_DESCRIPTIONS[int(code)]
                assert answer["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}, (method, path)
        # the gateway's own 401 is {"message": "Unauthorized"} as application/json
        if public:
            assert "401" not in answers, (method, path)
            continue
        assert answers["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/GatewayMessage"
        }


def test_routes_document_the_errors_they_raise(document: dict[str, Any]) -> None:
    def codes(method: str, path: str) -> set[int]:
        return {int(code) for code in document["paths"][path][method]["responses"]}

    assert {403, 404, 409, 410} <= codes("post", "/sessions/{session_id}/offers/accept")
    assert {403, 404, 409} <= codes("post", "/sessions")
    assert {403, 404, 409} <= codes("delete", "/therapists/me/blocks/{block_id}")
    assert 204 in codes("delete", "/therapists/me/blocks/{block_id}")
    assert 201 in codes("post", "/sessions/{session_id}/offers")


def test_the_calendar_feed_is_public_and_answers_icalendar(document: dict[str, Any]) -> None:
    # Given the feed route of the document
    operation = document["paths"]["/calendar-feeds/{feed}"]["get"]
    # Then it needs no bearer token (the template gives it no authorizer), unlike every other route
    assert operation["security"] == []
    assert [path for path, item in document["paths"].items() for op in item.values() if op.get("security") == []] == [
        "/calendar-feeds/{feed}"
    ]
    # And it answers text/calendar, 304 to a matching If-None-Match, and 404 problems
    assert operation["responses"]["200"]["content"] == {"text/calendar": {"schema": {"type": "string"}}}
    assert {"304", "404"} <= set(operation["responses"])
    # And the therapist's routes answer the address
    for method, path in (("get", "/therapists/me/calendar-feed"), ("post", "/therapists/me/calendar-feed/rotate")):
        content = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/CalendarFeedAddress"}


def request_instants(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema of every instant a request can carry: query parameters and body fields."""
    found = []
    for _, _, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] in ("from", "to"):
                found += [option for option in parameter["schema"]["anyOf"] if option.get("type") == "string"]
    components = document["components"]["schemas"]
    for name in ("BookSessionRequest", "RescheduleRequest", "AlternativeRequest", "BlockRequest"):
        for field in ("start", "end"):
            if field in components[name]["properties"]:
                found.append(components[name]["properties"][field])
    admin_start = components["AdminRearrangeRequest"]["properties"]["start"]["anyOf"]
    found += [option for option in admin_start if option.get("type") == "string"]
    return found


def test_every_instant_a_request_takes_is_a_bounded_date_time_string(document: dict[str, Any]) -> None:
    instants = request_instants(document)
    assert len(instants) == 12  # GET /admin/audit's from and to among them
    for schema in instants:
        assert schema["type"] == "string" and schema["format"] == "date-time"
        assert schema["pattern"] == fields.INSTANT_PATTERN


def test_the_blanks_are_exactly_what_str_strip_removes() -> None:
    import re

    blank = re.compile(f"[{fields.BLANKS}]")
    assert [c for c in range(sys.maxunicode + 1) if chr(c).isspace()] == [
        c for c in range(sys.maxunicode + 1) if blank.fullmatch(chr(c))
    ]


TEXT_TYPES = {
    "Text": fields.Text,
    "Identifier": fields.Identifier,
    "NonBlankLongText": fields.NonBlankLongText,
    "LongText": fields.LongText,
    "ShortText": fields.ShortText,
    "LocationDetail": fields.LocationDetail,
    "Email": fields.Email,
}
# Unicode text (a body with an unpaired surrogate never reaches validation: see api.bodies), rich in blanks.
SOME_TEXT = st.text(
    alphabet=st.sampled_from(" \t\n\x0b\x1c\x85\xa0\u2007\u3000\ufeff\u200bab@.é")
    | st.characters(exclude_categories=["Cs"]),
    max_size=30,
)


@pytest.mark.parametrize("kind", TEXT_TYPES.values(), ids=TEXT_TYPES.keys())
@settings(max_examples=300, deadline=None)
@given(value=SOME_TEXT)
def test_text_is_accepted_by_the_handler_exactly_when_the_document_allows_it(kind: Any, value: str) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(kind)
    allowed = document_allows(adapter.json_schema(), value)
    try:
        adapter.validate_python(value)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == allowed


INSTANT_LIKE = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})?\Z"
)


@settings(max_examples=500, deadline=None)
@given(
    value=INSTANT_LIKE
    | st.from_regex(fields.INSTANT_PATTERN, fullmatch=True)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
)
def test_an_instant_is_accepted_by_the_handler_exactly_when_the_document_allows_it(value: str) -> None:
    allowed = document_allows(TypeAdapter(fields.Instant).json_schema(), value)
    try:
        fields.parse_instant(value)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == allowed


def test_a_location_needs_the_detail_of_its_kind_in_the_document_as_in_the_handler() -> None:
    schema = fields.LocationBody.model_json_schema()
    cases = [
        {"id": "a", "kind": "in_person"},
        {"id": "a", "kind": "in_person", "address": ""},
        {"id": "a", "kind": "in_person", "address": "1 Street"},
        {"id": "a", "kind": "online", "address": "1 Street"},
        {"id": "a", "kind": "online", "link": "https://x"},
        {"id": "a", "kind": "phone"},
    ]
    for case in cases:
        assert document_allows(schema, case) == accepts(fields.LocationBody, case), case


def document_allows(schema: dict[str, Any], value: Any) -> bool:
    """As schemathesis judges it: JSON Schema 2020-12, formats checked."""
    return jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value)


def accepts(model: type[BaseModel], value: dict[str, Any]) -> bool:
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True
