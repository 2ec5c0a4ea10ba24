"""The audit trail of the team's reads of sessions (issue 15): who read which session, when, in which request.

A session holds personal data (attendees, the client's note, where and when they see a therapist). An admin may
read any session; every such read is written down before the session leaves the service, and an admin read that
cannot be written down is not answered (the error reaches the caller as any store failure: 500). The entry names
the admin, the action, the session and the request: nothing of the client's is copied into it.

Admins read the trail by session ("who read session X") or by admin ("what did admin Y read"), newest first.
Entries are kept `AUDIT_RETENTION` (docs/decisions.md, "Audit trail of admin reads")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from therapy_booking.domain.errors import ValidationFailed
from therapy_booking.domain.model import Actor, Role, Session
from therapy_booking.domain.ports import Clock, Page
from therapy_booking.domain.services import SessionService, require_role

AUDIT_RETENTION = timedelta(days=731)
"""Two years (a leap day included): entries expire (DynamoDB TTL) this long after the read."""


class AuditAction(StrEnum):
    SESSION_READ = "session.read"


@dataclass(frozen=True)
class AuditEntry:
    admin_id: str
    action: AuditAction
    session_id: str
    at: datetime
    request_id: str

    @property
    def expires_at(self) -> datetime:
        return self.at + AUDIT_RETENTION


@dataclass(frozen=True)
class AuditQuery:
    """Exactly one of `session_id` and `admin_id`; reads at or after `start_from` and before `start_to`."""

    session_id: str | None = None
    admin_id: str | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None
    limit: int = 20
    cursor: str | None = None


class AuditTrail(Protocol):
    def append(self, entry: AuditEntry) -> None:
        """Writes the entry, never over another; raises if it could not be written."""
        ...

    def entries(self, query: AuditQuery) -> Page[AuditEntry]:
        """A page of the session's or the admin's entries, newest first."""
        ...


def is_admin_read(session: Session, actor: Actor) -> bool:
    """The caller sees the session only because they are an admin (not as its therapist or its client)."""
    return actor.has(Role.ADMIN) and not (session.is_therapist(actor) or session.is_client(actor))


class AuditService:
    def __init__(self, trail: AuditTrail, clock: Clock) -> None:
        self._trail = trail
        self._clock = clock

    def read_session(self, sessions: SessionService, actor: Actor, session_id: str, request_id: str) -> Session:
        """A session as `GET /sessions/{id}` answers it: an admin's read is written to the trail first."""
        session = sessions.get(actor, session_id)
        if is_admin_read(session, actor):
            entry = AuditEntry(
                actor.user_id, AuditAction.SESSION_READ, session.session_id, self._clock.now(), request_id
            )
            self._trail.append(entry)
        return session

    def entries(self, actor: Actor, query: AuditQuery) -> Page[AuditEntry]:
        require_role(actor, Role.ADMIN, "read the audit trail")
        if (query.session_id is None) == (query.admin_id is None):
            raise ValidationFailed("Give exactly one of 'session_id' and 'admin_id'.")
        if query.start_from and query.start_to and query.start_to <= query.start_from:
            raise ValidationFailed("'to' must be after 'from'.")
        return self._trail.entries(query)
