"""The user pool's PostConfirmation trigger: a person who confirmed their own sign-up becomes a client.

Cognito invokes it synchronously after a confirmation and waits for the event back, unchanged. It acts only
on `PostConfirmation_ConfirmSignUp` (a self-registered user confirming their email address); a password reset
(`PostConfirmation_ConfirmForgotPassword`) fires the same trigger and is left alone, so a therapist or admin
resetting their password never becomes a client. Adding a member who is already in the group succeeds, so a
retried or duplicated invocation changes nothing and does not fail.

An error (Cognito unreachable, throttled) raises: Cognito answers the confirmation with an error. The user is
confirmed but in no group (every route that needs a role answers 403) until the team adds them (docs/sign-up.md).

Logs carry the user's `sub` only: never the email address or any other attribute.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.wiring import container

logger = Logger()

CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    trigger = PostConfirmationTriggerEvent(event)
    ids = {"sub": trigger.request.user_attributes.get("sub"), "trigger_source": trigger.trigger_source}
    if trigger.trigger_source != CONFIRM_SIGN_UP:
        logger.info("not a sign-up: nothing to do", extra=ids)
        return event
    group = container.sign_ups(trigger.user_pool_id).confirmed(trigger.user_name)
    logger.info("signed up", extra={**ids, "group": group})
    return event
