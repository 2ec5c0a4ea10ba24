"""What the OpenAPI document says beyond the bodies: each route's answers, and its path parameters.

Every route passes `responses=documented(...)`, naming the error statuses it can answer besides
the ones every route can (401, 422, 500). This module is the one home of what each status means.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from therapy_booking.api.bodies import JSON_MEDIA_TYPE, MAX_BODY_BYTES
from therapy_booking.api.problems import INTERNAL_ERROR, PROBLEM_CONTENT_TYPE, codes_of
from therapy_booking.api.schemas.fields import IDENTIFIER_MAX_LENGTH
from therapy_booking.api.schemas.problems import GatewayMessage, Problem

# Each status's meaning, and the codes of `api.problems` it is answered with.
ERROR_DESCRIPTIONS: dict[int, str] = {
    401: (
        "No valid bearer token. API Gateway's JWT authorizer answers this itself, with "
        '{"message": "Unauthorized"} as application/json.'
    ),
    403: f"The caller can see the resource, but their role may not do this ({codes_of(403)}).",
    404: f"No such resource, or one the caller may not see ({codes_of(404)}).",
    409: f"The resource's state does not allow this now ({codes_of(409)}).",
    410: f"The answer came at or after its deadline ({codes_of(410)}).",
    413: f"The body is larger than {MAX_BODY_BYTES // 1024} KiB ({codes_of(413)}).",
    415: f"The request has a body that is not {JSON_MEDIA_TYPE} in UTF-8 ({codes_of(415)}).",
    422: f"The request is malformed, or breaks a rule ({codes_of(422)}; `errors` lists malformed fields).",
    500: f"Something unexpected; logged without personal data ({INTERNAL_ERROR}).",
}
EVERY_ROUTE = (401, 422, 500)
BODY_ERRORS = (413, 415)
GATEWAY_ANSWERS = frozenset({401})


def documented(
    *errors: int, status: int = 200, description: str = "Success", body: bool = False, public: bool = False
) -> dict[int, OpenAPIResponse]:
    """The `responses` of a route: its success `status`, the `errors` it adds to EVERY_ROUTE,
    and 413/415 if it reads a JSON `body`. A `public` route (no authorizer in the template) never answers 401."""
    answers: dict[int, OpenAPIResponse] = {status: {"description": description}}
    if status == 204:
        answers[status]["content"] = {}
    every = {code for code in EVERY_ROUTE if not (public and code in GATEWAY_ANSWERS)}
    for code in sorted({*every, *errors, *(BODY_ERRORS if body else ())}):
        answers[code] = _error(code)
    return answers


def calendar_answers() -> dict[int, OpenAPIResponse]:
    """The public calendar feed's answers: the iCalendar body, 304 to a matching If-None-Match, 404."""
    answers = documented(404, description="The feed", public=True)
    answers[200]["content"] = {"text/calendar": {"schema": {"type": "string"}}}
    answers[304] = {"description": "Not modified: the If-None-Match tag is the feed's current ETag.", "content": {}}
    return dict(sorted(answers.items()))


def _error(code: int) -> OpenAPIResponse:
    answer: OpenAPIResponse = {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {PROBLEM_CONTENT_TYPE: {"model": Problem}},
    }
    if code in GATEWAY_ANSWERS:
        answer["content"][JSON_MEDIA_TYPE] = {"model": GatewayMessage}
    return answer


def _id(description: str) -> Path:
    return Path(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, description=description)


SessionId = Annotated[str, _id("A session's id.")]
TherapistId = Annotated[str, _id("A therapist's id (their user id).")]
BlockId = Annotated[str, _id("A block's id.")]
ReservationId = Annotated[str, _id("A reservation's id.")]
ClientId = Annotated[str, _id("A client's id (their user id).")]
# Any text: a feed address of the wrong shape is answered 404 like an unknown one, never 422.
FeedName = Annotated[str, Path(description="The feed's token followed by .ics, as its address gives it.")]
