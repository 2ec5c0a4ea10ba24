"""The team's routes: POST /admin/sessions/{id}/rearrange, POST /admin/therapists/{id}/reactivate, GET /admin/audit."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PlainValidator, WithJsonSchema

from therapy_booking.api.schemas.fields import Body, Identifier, Instant, NonBlankLongText, UtcInstant
from therapy_booking.domain.audit import AuditAction, AuditEntry
from therapy_booking.domain.formats import in_words
from therapy_booking.domain.model import ADMIN_SETTABLE_STATUSES, RearrangeReason, SessionStatus

_NOT_SETTABLE = f"Input should be {in_words([repr(status.value) for status in ADMIN_SETTABLE_STATUSES])}"


def _admin_settable_status(value: object) -> SessionStatus:
    if isinstance(value, str) and value in ADMIN_SETTABLE_STATUSES:
        return SessionStatus(value)
    raise ValueError(_NOT_SETTABLE)


AdminSettableStatus = Annotated[
    SessionStatus,
    PlainValidator(_admin_settable_status),
    WithJsonSchema({"type": "string", "enum": [status.value for status in ADMIN_SETTABLE_STATUSES]}),
]


class AdminRearrangeRequest(Body):
    start: Instant | None = Field(
        default=None, examples=["2026-12-02T15:00:00Z"], description="Move the session (past ones too)."
    )
    location_id: Identifier | None = Field(default=None, description="One of the therapist's locations.")
    status: AdminSettableStatus | None = Field(
        default=None, description="Set the status, e.g. confirmed to reinstate a cancelled session."
    )
    reason: RearrangeReason
    note: NonBlankLongText = Field(description="Why the team made the change; kept in the session's history.")


class ReactivateRequest(Body):
    note: NonBlankLongText = Field(description="Why the team reactivates the account; kept on the account.")


class AuditEntryResponse(Body):
    """One admin read of a session: who, what, when, in which request. Nothing of the client's."""

    admin_id: str
    action: AuditAction
    session_id: str
    at: UtcInstant
    request_id: str = Field(description="API Gateway's request id (the logs' correlation id).")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryResponse:
        return cls(
            admin_id=entry.admin_id,
            action=entry.action,
            session_id=entry.session_id,
            at=entry.at,
            request_id=entry.request_id,
        )


class AuditPage(Body):
    """Newest first."""

    items: list[AuditEntryResponse]
    next_cursor: str | None
