"""The error answers every route documents: RFC 9457 problem details, and API Gateway's own answers.

`api.problems` builds every problem answer from `Problem`, so the document and the answers cannot differ."""

from __future__ import annotations

from pydantic import Field

from therapy_booking.api.schemas.fields import Body


class FieldError(Body):
    field: str = Field(examples=["start"])
    message: str = Field(examples=["Input should have timezone info"])


class Problem(Body):
    """RFC 9457 problem details (application/problem+json); input values are never echoed."""

    type: str = Field(examples=["/problems/slot_unavailable"])
    title: str = Field(examples=["Conflict"])
    status: int = Field(ge=400, le=599, examples=[409])
    detail: str = Field(description="A sentence for people.", examples=["That time is no longer available."])
    code: str = Field(description="A code for programs (see the API docs).", examples=["slot_unavailable"])
    errors: list[FieldError] | None = Field(
        default=None, description="validation_error only: each offending field (values are not echoed)."
    )
    clashing_starts: list[str] | None = Field(
        default=None,
        description="slot_unavailable of a reservation only: the start (UTC) of every occurrence that clashes.",
        examples=[["2027-03-23T18:00:00Z"]],
    )


class GatewayMessage(Body):
    """What API Gateway itself answers (its authorizer's 401, a route it does not know)."""

    message: str = Field(examples=["Unauthorized"])
