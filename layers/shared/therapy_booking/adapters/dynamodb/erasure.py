"""The `ErasureStore` port on the single table: a client's sessions and their outbox events stripped of personal
data (what goes is `Session.without_personal_data`'s to say), and the client's own partition deleted.

Every write here is idempotent: a session already stripped is not written again, an event already stripped
neither, and deleting an item already gone succeeds. Nothing here is a transaction: each item is written on its
own, so a client with any number of sessions is erased in bounded writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from therapy_booking.adapters.dynamodb.codecs import PROFILE, session_from_item, session_item
from therapy_booking.adapters.dynamodb.models import EventItem, SessionItem, TableItem, client_key, session_key
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
    def strip_session(self, session: Session) -> None:
        stripped = session.without_personal_data()
        if stripped != session:
            try:
                session_item(stripped).save(condition=SessionItem.version == session.version)
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
        keys = sorted(partition_keys(client_key(client_id)), key=lambda key: key[1] == PROFILE)  # the profile last
        for pk, sk in keys:
            connection.delete_item(pk, sk)
