"""Reserved recurring slots: a therapist holds the same local time every 1 to 4 weeks for an ongoing client
(every occurrence or none), lists and deletes them; the client lists the times held for them (and books them
with POST /sessions like any slot)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import ReservationId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.reservations import ReservationList, ReservationResponse, ReserveRequest
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.post(
    "/therapists/me/reservations",
    summary="Reserve the same local time every 1 to 4 weeks for an ongoing client (all occurrences or none)",
    tags=["reservations"],
    status_code=201,
    responses=documented(403, 404, 409, status=201, description="Reserved", body=True),
)
def reserve(body: ReserveRequest) -> Response[ReservationResponse]:
    reservation = container.reservations.reserve(caller(app), body.to_domain())
    return Response(201, "application/json", ReservationResponse.of(reservation))


@app.get(
    "/therapists/me/reservations",
    summary="The caller's active reservations",
    tags=["reservations"],
    responses=documented(403),
)
def own_reservations() -> ReservationList:
    return ReservationList.of(container.reservations.own(caller(app)))


@app.delete(
    "/therapists/me/reservations/<reservation_id>",
    summary="Delete a reservation: its held occurrences are released at once (booked ones stay sessions)",
    tags=["reservations"],
    status_code=204,
    responses=documented(403, 404, 409, status=204, description="Deleted"),
)
def delete_reservation(reservation_id: ReservationId) -> Response[None]:
    container.reservations.delete(caller(app), reservation_id)
    return Response(204)


@app.get(
    "/clients/me/reservations",
    summary="The times reserved for the calling client",
    tags=["reservations"],
    responses=documented(403),
)
def reserved_for_me() -> ReservationList:
    return ReservationList.of(container.reservations.held_for_me(caller(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
