"""The Powertools resolver every HTTP function uses, with problem details wired in."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from therapy_booking.api.auth import actor_from_event
from therapy_booking.api.bodies import JsonBodyValidation
from therapy_booking.api.problems import register_problem_handlers
from therapy_booking.domain.model import Actor


def create_app() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    # Powertools keeps its request validation here and puts it first in every route's chain;
    # ours reads bodies as `api.bodies` says (JSON only, bounded) and validates as Powertools does.
    app._request_validation_middleware = JsonBodyValidation()
    register_problem_handlers(app)
    return app


def caller(app: APIGatewayHttpResolver) -> Actor:
    return actor_from_event(app.current_event)


def request_id(app: APIGatewayHttpResolver) -> str:
    """API Gateway's id of the request (`requestContext.requestId`, also the logs' correlation id)."""
    return app.current_event.request_context.request_id


def request_base_url(app: APIGatewayHttpResolver) -> str:
    """The URL the request reached the API at: API Gateway's `requestContext.domainName` (its own domain, or the
    custom domain the request came through) and the scheme it received it over (`x-forwarded-proto`, which
    API Gateway always sets; https if absent). Read from the request rather than passed in by the template: a
    function attached to an HTTP API cannot name that API in its environment (a circular dependency in SAM)."""
    event = app.current_event
    scheme = event.headers.get("x-forwarded-proto", "https").split(",")[0].strip() or "https"
    return f"{scheme}://{event.request_context.domain_name}"
