"""The audit trail on DynamoDB: one item per admin read of a session, in the session's partition
(AUDIT#SESSION#<id>) and, through gsi1, in the admin's (AUDIT#ADMIN#<id>), sorted by `<instant>#<request id>`."""

from __future__ import annotations

from typing import Any

from therapy_booking.adapters.dynamodb.cursors import decode_cursor, encode_cursor
from therapy_booking.adapters.dynamodb.models import AuditItem, audit_admin_key, audit_session_key, iso
from therapy_booking.domain.audit import AuditAction, AuditEntry, AuditQuery
from therapy_booking.domain.ports import Page


def _sort_key(entry: AuditEntry) -> str:
    return f"{iso(entry.at)}#{entry.request_id}"


def _entry(item: AuditItem) -> AuditEntry:
    return AuditEntry(item.admin_id, AuditAction(item.action), item.session_id, item.at, item.request_id)


class DynamoAuditTrail:
    def append(self, entry: AuditEntry) -> None:
        sort_key = _sort_key(entry)
        AuditItem(
            audit_session_key(entry.session_id),
            sort_key,
            gsi1pk=audit_admin_key(entry.admin_id),
            gsi1sk=sort_key,
            admin_id=entry.admin_id,
            action=entry.action.value,
            session_id=entry.session_id,
            request_id=entry.request_id,
            at=entry.at,
            ttl=int(entry.expires_at.timestamp()),
        ).save(condition=AuditItem.pk.does_not_exist())  # appended, never written over

    def entries(self, query: AuditQuery) -> Page[AuditEntry]:
        # `<instant>#<request id>` sorts after `<instant>` and before `<a later instant>`: [from, to) by the second
        low = iso(query.start_from) if query.start_from else "0"
        high = iso(query.start_to) if query.start_to else "9"
        results: Any
        if query.session_id is not None:
            partition = audit_session_key(query.session_id)
            start_key = decode_cursor(query.cursor, ("pk", partition), {"pk", "sk"}, ("sk", low, high))
            results = AuditItem.query(
                partition,
                AuditItem.sk.between(low, high),
                scan_index_forward=False,
                limit=query.limit,
                last_evaluated_key=start_key,
            )
        else:
            assert query.admin_id is not None
            partition = audit_admin_key(query.admin_id)
            names = {"pk", "sk", "gsi1pk", "gsi1sk"}
            start_key = decode_cursor(query.cursor, ("gsi1pk", partition), names, ("gsi1sk", low, high))
            results = AuditItem.gsi1.query(
                partition,
                AuditItem.gsi1sk.between(low, high),
                scan_index_forward=False,
                limit=query.limit,
                last_evaluated_key=start_key,
            )
        items = [_entry(item) for item in results if isinstance(item, AuditItem)]
        return Page(items, encode_cursor(results.last_evaluated_key))
