"""A client's personal data: the export of everything held about them, and its erasure (issue 14)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.personal_data import ClientDataExport
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.get(
    "/clients/me/export",
    summary="Everything held about the calling client: profile, assessment, every session, reservations",
    tags=["personal data"],
    responses=documented(403),
)
def export_client_data() -> ClientDataExport:
    return ClientDataExport.of(container.personal_data.export(caller(app)))


@app.delete(
    "/clients/me",
    summary="Erase the calling client: future sessions cancelled, reservations released, personal data deleted "
    "or stripped (amounts kept), the account deleted; safe to repeat",
    tags=["personal data"],
    status_code=204,
    responses=documented(403, status=204, description="Erased"),
)
def erase_client() -> Response[None]:
    container.personal_data.erase(caller(app))
    return Response(204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
