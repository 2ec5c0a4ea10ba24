"""The `ErasureStore` port on the single table: a client's sessions and their outbox events stripped of personal
data (what goes is `Session.without_personal_data`'s to say), and the client's own partition deleted.

Every write here is idempotent: a session already stripped is not written again, an event already stripped
neither, and deleting an item already gone succeeds. A stripped session is written at its next version (with no
outbox event: nobody is told anything), so a writer that read it before fails its version condition. Nothing
here is a transaction: each item is written on its own, so a client with any number of sessions is erased in
bounded writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from therapy_booking.adapters.dynamodb.codecs import PROFILE, session_from_item, session_item
from therapy_booking.adapters.dynamodb.models import (
    ERASED,
    ErasedClientItem,
    EventItem,
    SessionItem,
    TableItem,
    client_key,
    session_key,
)
from therapy_booking.adapters.dynamodb.outbox import session_snapshot
from therapy_booking.domain.errors import Conflict
from therapy_booking.domain.model import Session

EVENT_PREFIX = "EVENT#"


def partition_keys(partition: str) -> Iterator[tuple[str, str]]:
    """Every (pk, sk) of one partition, page by page (keys only)."""
    connection = TableItem._get_connection()
    start: Any = None
    while True:
        page = connection.query(partition, attributes_to_get=["pk", "sk"], exclusive_start_key=start)
        for raw in page.get("Items", []):
            yield raw["pk"]["S"], raw["sk"]["S"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def stripped_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """An outbox item's session snapshot without the personal data the session leaves out once erased."""
    kept = session_from_item(SessionItem.from_raw_data(snapshot)).without_personal_data()
    return session_snapshot(kept)


class DynamoErasure:
    def mark_erased(self, client_id: str) -> None:
        ErasedClientItem(client_key(client_id), ERASED, client_id=client_id).save()

    def strip_session(self, session: Session) -> None:
        stripped = session.without_personal_data()
        if stripped != session:
            # At the next version, so that a writer that read the session before (a transition, the sweeper giving
            # time back) fails its own version condition instead of writing the personal data back.
            fenced = replace(stripped, version=session.version + 1)
            try:
                session_item(fenced).save(condition=SessionItem.version == session.version)
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
                raise Conflict("The session was changed meanwhile.") from None
        for event in EventItem.query(session_key(session.session_id), EventItem.sk.startswith(EVENT_PREFIX)):
            snapshot = stripped_snapshot(event.session) if event.session else None
            if snapshot != event.session or event.note is not None:
                actions: list[Action] = [EventItem.note.remove()]
                if snapshot is not None:
                    actions.append(EventItem.session.set(snapshot))
                event.update(actions=actions)

    def delete_client_items(self, client_id: str) -> None:
        connection = TableItem._get_connection()
        # The profile last; the erasure's own marker stays (it refuses the client's writes from now on).
        keys = sorted(partition_keys(client_key(client_id)), key=lambda key: key[1] == PROFILE)
        for pk, sk in (key for key in keys if key[1] != ERASED):
            connection.delete_item(pk, sk)
