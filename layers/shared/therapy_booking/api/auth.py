"""The caller, from the claims API Gateway's JWT authorizer has already verified."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from therapy_booking.domain.errors import NotAuthenticated
from therapy_booking.domain.model import ROLE_GROUPS, Actor, Role

GROUP_ROLES: dict[str, Role] = {group: role for role, group in ROLE_GROUPS.items()}


def parse_groups(raw: Any) -> frozenset[str]:
    """`cognito:groups` as HTTP API passes it: a list, or the flattened string "[a b]"."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list):
        return frozenset(str(g) for g in raw)
    text = str(raw).strip()
    if text.startswith("[") and '"' in text:
        try:
            return frozenset(str(g) for g in json.loads(text))
        except ValueError:
            pass
    return frozenset(part for part in text.strip("[]").replace(",", " ").split() if part)


def actor_from_event(event: APIGatewayProxyEventV2) -> Actor:
    authorizer = event.request_context.authorizer
    claims = (authorizer.jwt_claim if authorizer else None) or {}
    user_id = claims.get("sub")
    if not user_id:
        raise NotAuthenticated("A valid bearer token is required.")
    # The ID token only: it is the one the Pre Token Generation trigger takes a therapist's or admin's group out of
    # without TOTP (a version 1 trigger changes the ID token alone), and the one front ends are told to send.
    if claims.get("token_use") != "id":
        raise NotAuthenticated("Send the ID token (token_use id) as the bearer token.")
    groups = parse_groups(claims.get("cognito:groups"))
    return Actor(str(user_id), frozenset(GROUP_ROLES[g] for g in groups if g in GROUP_ROLES))
