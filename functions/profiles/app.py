"""Profiles: a therapist's profile, availability and blocks, and a client's profile, written and read by their owner."""

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
    BlockList,
    BlockRequest,
    BlockResponse,
    ClientProfileRequest,
    ClientProfileResponse,
    TherapistOwnProfile,
    TherapistProfileRequest,
)
from therapy_booking.api.schemas.standing import StandingResponse
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


@app.get(
    "/therapists/me",
    summary="The caller's own therapist profile, as PUT /therapists/me answers it",
    tags=["therapists"],
    responses=documented(403, 404),
)
def get_therapist_profile() -> TherapistOwnProfile:
    return TherapistOwnProfile.of(container.therapists.own_profile(caller(app)))


@app.get(
    "/therapists/me/standing",
    summary="The caller's standing: response time, cancellation streak, rearrangements and rank factors",
    tags=["therapists"],
    responses=documented(403, 404),
)
def get_own_standing() -> StandingResponse:
    return StandingResponse.of(container.therapists.own_standing(caller(app)))


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


@app.get(
    "/therapists/me/blocks",
    summary="The caller's blocks that have not ended yet, by start",
    tags=["therapists"],
    responses=documented(403),
)
def list_blocks() -> BlockList:
    return BlockList(items=[BlockResponse.of(block) for block in container.therapists.own_blocks(caller(app))])


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


@app.get(
    "/clients/me",
    summary="The caller's own client profile, as PUT /clients/me answers it",
    tags=["clients"],
    responses=documented(403, 404),
)
def get_client_profile() -> ClientProfileResponse:
    return ClientProfileResponse.of(container.clients.own_profile(caller(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
