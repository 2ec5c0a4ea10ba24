"""The user pool's Pre Token Generation trigger: therapists and admins hold their role only with TOTP set up.

Cognito invokes it synchronously before it issues tokens (every sign-in, every refresh) and waits for the event
back. The token's groups are the user's groups (`request.groupConfiguration`); when they include a group that
needs MFA (domain/token_groups.py: `therapists`, `admins`) and the user has not set up an authenticator app
(AdminGetUser), the answer overrides the groups with all but those: the token carries no therapist or admin role
and every route that needs one answers 403 (docs/sign-up.md, "MFA"). Any other token (a client's, someone in no
group) goes back unchanged, without an AWS call.

An error (Cognito unreachable, throttled) raises: Cognito refuses the sign-in rather than issue a role unchecked.

Logs carry the user's `sub` only: never the email address or any other attribute.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreTokenGenerationTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from therapy_booking.wiring import container

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    trigger = PreTokenGenerationTriggerEvent(event)
    requested = trigger.request.group_configuration
    ids = {"sub": trigger.request.user_attributes.get("sub"), "trigger_source": trigger.trigger_source}
    groups = container.token_groups(trigger.user_pool_id).for_token(trigger.user_name, requested.groups_to_override)
    if not groups.changed:
        return event
    # The answer replaces the whole group configuration: the roles and preferred role go back as they came.
    overridden: dict[str, Any] = {
        "groupsToOverride": list(groups.kept),
        "iamRolesToOverride": requested.iam_roles_to_override,
    }
    if requested.preferred_role is not None:
        overridden["preferredRole"] = requested.preferred_role
    trigger.response.claims_override_details.group_configuration = overridden
    logger.info("groups withheld: no TOTP set up", extra={**ids, "withheld": list(groups.withheld)})
    return trigger.raw_event
