"""HTTP API payload v2.0 events for handler tests, with the claims a Cognito id token carries."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from local_stack.gateway import http_api_event

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
    """`route` uses the template's {param} syntax. HTTP API flattens list claims: groups arrive as "[a b]".

    A str or bytes `body` is sent as is (bytes that are not UTF-8 arrive base64-encoded, as API Gateway
    sends them); anything else as JSON."""
    path_parameters = path_parameters or {}
    claims = None
    if sub is not None:
        claims = {
            "sub": sub,
            "cognito:groups": groups if groups is not None else ([GROUPS[role]] if role else []),
            "iss": "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_test",
            "token_use": "id",
        }
    all_headers = {"accept": "application/json", "host": "api.example.com", **(headers or {})}
    if body is not None:
        all_headers.setdefault("content-type", "application/json")
    return http_api_event(
        method=method,
        route_path=route,
        raw_path=re.sub(r"{(\w+)}", lambda m: path_parameters[m.group(1)], route),
        raw_query=urlencode(query or {}),
        headers=all_headers,
        body=None if body is None else body if isinstance(body, str | bytes) else json.dumps(body),
        path_parameters=path_parameters,
        claims=claims,
        source_ip="192.0.2.1",
    )


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def call(handler: Any, event: dict[str, Any]) -> Answer:
    """The handler's answer; a JSON body parsed, any other (text/calendar) kept as text."""
    result = handler(event, LambdaContext())
    raw = result.get("body") or ""
    headers = result.get("headers", {})
    textual = str(headers.get("Content-Type", "")).startswith("text/")
    return Answer(result["statusCode"], raw if textual else json.loads(raw) if raw else None, headers)
