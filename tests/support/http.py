"""HTTP API payload v2.0 events, as API Gateway hands them to a function after its JWT authorizer."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

GROUPS = {"therapist": "therapists", "client": "clients", "admin": "admins"}


@dataclass(frozen=True)
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def http_event(
    method: str,
    route: str,
    *,
    path_parameters: dict[str, str] | None = None,
    body: Any = None,
    sub: str | None = None,
    role: str | None = None,
    groups: list[str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`route` uses the template's {param} syntax; the claims are what Cognito puts in an id token.

    HTTP API flattens list claims, so `cognito:groups` arrives as the string "[a b]".
    """
    path_parameters = path_parameters or {}
    raw_path = re.sub(r"{(\w+)}", lambda m: path_parameters[m.group(1)], route)
    all_groups = groups if groups is not None else ([GROUPS[role]] if role else [])
    claims: dict[str, Any] | None = None
    if sub is not None:
        claims = {
            "sub": sub,
            "cognito:groups": f"[{' '.join(all_groups)}]",
            "iss": "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_test",
            "token_use": "id",
        }
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    if body is not None:
        lowered.setdefault("content-type", "application/json")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": raw_path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"accept": "application/json", "host": "api.example.com", **lowered},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "tests",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "21/Nov/2026:09:00:00 +0000",
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def call(handler: Any, event: dict[str, Any]) -> Answer:
    result = handler(event, LambdaContext())
    raw = result.get("body") or ""
    return Answer(result["statusCode"], json.loads(raw) if raw else None, result.get("headers", {}))
