"""The client's self-assessment: the questionnaire, the client's own answers (scored), and a therapist's read of
the answers of a client who has booked with them (everyone else, admins included, gets 404)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.api.openapi import ClientId, documented
from therapy_booking.api.resolver import caller, create_app
from therapy_booking.api.schemas.assessment import AssessmentRequest, AssessmentResponse, Questionnaire
from therapy_booking.wiring import container

logger = Logger()
app = create_app()


@app.get(
    "/assessment/questions",
    summary="The self-assessment questionnaire: what the client seeks help with, PHQ-9 and GAD-7",
    tags=["assessment"],
    responses=documented(),
)
def questions() -> Questionnaire:
    caller(app)  # anyone signed in
    return Questionnaire.current()


@app.put(
    "/clients/me/assessment",
    summary="Fill in (or replace) the caller's self-assessment; it is scored",
    tags=["assessment"],
    responses=documented(403, body=True),
)
def put_assessment(body: AssessmentRequest) -> AssessmentResponse:
    answers = [(answer.question_id, answer.answer) for answer in body.answers]
    assessment = container.assessments.put_own(caller(app), answers, body.concerns)
    return AssessmentResponse.of(assessment, container.assessment_settings.crisis_guidance)


@app.get(
    "/clients/me/assessment",
    summary="The caller's self-assessment",
    tags=["assessment"],
    responses=documented(403, 404),
)
def own_assessment() -> AssessmentResponse:
    return AssessmentResponse.of(container.assessments.own(caller(app)), container.assessment_settings.crisis_guidance)


@app.get(
    "/clients/<client_id>/assessment",
    summary="A client's self-assessment, for a therapist the client has booked with",
    tags=["assessment"],
    responses=documented(404),
)
def client_assessment(client_id: ClientId) -> AssessmentResponse:
    return AssessmentResponse.of(container.assessments.of_client(caller(app), client_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
