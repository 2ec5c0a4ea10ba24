"""The Powertools resolver every HTTP function uses, with problem details wired in."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from therapy_booking.api.auth import actor_from_event
from therapy_booking.api.problems import register_problem_handlers
from therapy_booking.domain.model import Actor


def create_app() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    register_problem_handlers(app)
    return app


def caller(app: APIGatewayHttpResolver) -> Actor:
    return actor_from_event(app.current_event)
