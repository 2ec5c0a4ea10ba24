"""POST /sessions: a client books a session (Idempotency-Key honoured)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.booking import BookSessionRequest
from therapy_booking.api.schemas.sessions import SessionResponse
from therapy_booking.domain.errors import Conflict, ValidationFailed
from therapy_booking.domain.model import Actor, Role
from therapy_booking.domain.services import BookingRequest
from therapy_booking.wiring import container

logger = Logger()
app = create_app()

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        max_length=255,
        description="Repeat a booking safely: the same key from the same client returns the first response.",
    ),
]


def _book(actor: Actor, body: BookSessionRequest) -> dict[str, Any]:
    session = container.sessions.book(
        actor,
        BookingRequest(
            therapist_id=body.therapist_id,
            start=body.start,
            session_type=body.session_type,
            location_id=body.location_id,
            attendees=tuple(body.attendees),
            initial_consultation=body.initial_consultation,
            note=body.note,
        ),
    )
    return SessionResponse.of(session).model_dump(mode="json")


@cache
def _idempotent_book() -> Any:
    """Powertools idempotency over the booking, keyed by (client, Idempotency-Key).

    Built on first keyed request so that boto3 stays out of the cold start.
    """
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from therapy_booking.adapters.aws_clients import dynamodb_client

    settings = container.settings
    store = DynamoDBPersistenceLayer(
        table_name=settings.table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value="IDEMPOTENCY#booking",
        expiry_attr="ttl",
        boto3_client=dynamodb_client(),
    )
    config = IdempotencyConfig(
        event_key_jmespath="[client_id, key]",
        payload_validation_jmespath="request",
        expires_after_seconds=settings.idempotency_ttl_seconds,
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="booking", persistence_store=store, config=config
    )
    def book_once(booking: dict[str, Any]) -> dict[str, Any]:
        actor = Actor(booking["client_id"], frozenset(Role(r) for r in booking["roles"]))
        return _book(actor, BookSessionRequest.model_validate(booking["request"]))

    def book(booking: dict[str, Any]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = book_once(booking=booking)
            return result
        except IdempotencyValidationError:
            raise ValidationFailed(
                "This Idempotency-Key was already used for a different booking; use a new key."
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise Conflict("A booking with this Idempotency-Key is still in progress; retry shortly.") from None

    return book, config


@app.post(
    "/sessions",
    summary="Book a session",
    tags=["sessions"],
    status_code=201,
    responses=documented(403, 404, 409, status=201, description="The new session, pending", body=True),
)
def book_session(body: BookSessionRequest, idempotency_key: IdempotencyKey = None) -> Response[SessionResponse]:
    actor = caller(app)
    if idempotency_key:
        book, config = _idempotent_book()
        config.register_lambda_context(app.lambda_context)
        result = book(
            {
                "client_id": actor.user_id,
                "key": idempotency_key,
                "roles": sorted(actor.roles),
                "request": body.model_dump(mode="json"),
            }
        )
    else:
        result = _book(actor, body)
    return Response(201, "application/json", SessionResponse.model_validate(result))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
