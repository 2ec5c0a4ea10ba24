"""The one mapping from errors to RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import json
import traceback
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from therapy_booking.api.schemas.problems import FieldError, Problem
from therapy_booking.domain import errors

PROBLEM_CONTENT_TYPE = "application/problem+json"
VALIDATION_ERROR = "validation_error"
INTERNAL_ERROR = "internal_error"


class UnsupportedMediaType(errors.DomainError):
    """A request body that is not JSON (an HTTP matter, so not a domain error; see `api.bodies`)."""


class BodyTooLarge(errors.DomainError):
    """A request body over `api.bodies.MAX_BODY_BYTES`."""


PROBLEMS: dict[type[errors.DomainError], tuple[int, str]] = {
    UnsupportedMediaType: (415, "unsupported_media_type"),
    BodyTooLarge: (413, "body_too_large"),
    errors.ValidationFailed: (422, VALIDATION_ERROR),
    errors.NotAuthenticated: (401, "unauthorized"),
    errors.Forbidden: (403, "forbidden"),
    errors.NotFound: (404, "not_found"),
    errors.SlotUnavailable: (409, "slot_unavailable"),
    errors.InvalidTransition: (409, "invalid_transition"),
    errors.SessionInPast: (409, "session_in_past"),
    errors.OfferAlreadyOpen: (409, "offer_already_open"),
    errors.FreeConsultationUsed: (409, "free_consultation_used"),
    errors.TherapistUnavailableForBooking: (409, "therapist_unavailable_for_booking"),
    errors.Conflict: (409, "conflict"),
    errors.OfferExpired: (410, "offer_expired"),
}

logger = Logger(child=True)


def codes_of(status: int) -> str:
    """The codes of the problems answered with `status`, as the OpenAPI document lists them."""
    return ", ".join(code for kind_status, code in PROBLEMS.values() if kind_status == status)


def problem_json(
    status: int,
    code: str,
    detail: str,
    field_errors: list[FieldError] | None = None,
    clashing_starts: list[str] | None = None,
) -> str:
    """The one place a problem's JSON is written, as the document's `Problem` (the local stack's answers too)."""
    body = Problem(
        type=f"/problems/{code}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        errors=field_errors,
        clashing_starts=clashing_starts,
    )
    return json.dumps(body.model_dump(exclude_none=True))


def problem(
    status: int,
    code: str,
    detail: str,
    field_errors: list[FieldError] | None = None,
    clashing_starts: list[str] | None = None,
) -> Response[str]:
    body = problem_json(status, code, detail, field_errors, clashing_starts)
    return Response(status_code=status, content_type=PROBLEM_CONTENT_TYPE, body=body)


def domain_problem(error: errors.DomainError) -> Response[str]:
    for kind in type(error).__mro__:
        if kind in PROBLEMS:
            status, code = PROBLEMS[kind]
            clashes = list(error.clashing_starts) if isinstance(error, errors.SlotUnavailable) else []
            return problem(status, code, error.detail, clashing_starts=clashes or None)
    raise error


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_problem(error: RequestValidationError) -> Response[str]:
    """422 listing each offending field; input values are never echoed (they may be personal)."""
    details = [FieldError(field=_field(tuple(e.get("loc", ()))), message=e.get("msg", "")) for e in error.errors()]
    summary = "; ".join(f"{d.field}: {d.message}" for d in details[:5]) or "The request is invalid."
    return problem(422, VALIDATION_ERROR, summary, details)


def register_problem_handlers(app: APIGatewayHttpResolver) -> None:
    app.exception_handler(errors.DomainError)(domain_problem)
    app.exception_handler(RequestValidationError)(validation_problem)

    @app.not_found
    def route_not_found(_: Exception) -> Response[str]:
        return problem(404, "not_found", "There is no such route.")

    app.exception_handler(Exception)(unexpected_problem)


def unexpected_problem(error: Exception) -> Response[str]:
    # Where it failed, never what it said: an error's message may quote input (pydantic's does).
    where = "".join(traceback.format_tb(error.__traceback__))
    logger.error("Unhandled error", extra={"error_type": type(error).__name__, "traceback": where})
    return problem(500, INTERNAL_ERROR, "Something went wrong on our side; please try again.")
