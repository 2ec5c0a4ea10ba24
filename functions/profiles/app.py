"""Profiles: a therapist's profile, availability and blocks; a client's profile."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import BlockId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.profiles import (
    AvailabilityRequest,
    AvailabilityResponse,
    BlockRequest,
    BlockResponse,
    ClientProfileRequest,
    ClientProfileResponse,
    TherapistOwnProfile,
    TherapistProfileRequest,
)
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.put(
    "/therapists/me",
    summary="Publish or update the caller's therapist profile",
    tags=["therapists"],
    responses=documented(403, body=True),
)
def put_therapist_profile(body: TherapistProfileRequest) -> TherapistOwnProfile:
    return TherapistOwnProfile.of(container.therapists.put_profile(caller(app), body.to_domain()))


@app.put(
    "/therapists/me/availability",
    summary="Publish weekly availability",
    tags=["therapists"],
    responses=documented(403, body=True),
)
def put_availability(body: AvailabilityRequest) -> AvailabilityResponse:
    therapist = container.therapists.put_availability(caller(app), body.to_domain())
    assert therapist.availability is not None
    return AvailabilityResponse(
        therapist_id=therapist.therapist_id, **AvailabilityRequest.of(therapist.availability).model_dump()
    )


@app.post(
    "/therapists/me/blocks",
    summary="Block time off",
    tags=["therapists"],
    status_code=201,
    responses=documented(403, 409, status=201, description="The block", body=True),
)
def add_block(body: BlockRequest) -> Response[BlockResponse]:
    block = container.therapists.add_block(caller(app), body.start, body.end, body.note)
    return Response(201, "application/json", BlockResponse.of(block))


@app.delete(
    "/therapists/me/blocks/<block_id>",
    summary="Remove a block",
    tags=["therapists"],
    status_code=204,
    responses=documented(403, 404, 409, status=204, description="Removed"),
)
def delete_block(block_id: BlockId) -> Response[None]:
    container.therapists.delete_block(caller(app), block_id)
    return Response(204)


@app.put(
    "/clients/me",
    summary="Publish or update the caller's client profile",
    tags=["clients"],
    responses=documented(403, body=True),
)
def put_client_profile(body: ClientProfileRequest) -> ClientProfileResponse:
    actor = caller(app)
    return ClientProfileResponse.of(container.clients.put_profile(actor, body.to_domain(actor.user_id)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
