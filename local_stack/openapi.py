"""One OpenAPI document for the whole API, merged from each function's Powertools resolver."""

from __future__ import annotations

import importlib
from typing import Any

from local_stack.template import Function, is_public

SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Therapy booking API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});</script>
</body></html>
"""


def merged_openapi(functions: dict[str, Function], server_url: str) -> dict[str, Any]:
    document: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for function in functions.values():
        app = getattr(importlib.import_module(function.module), "app", None)
        if app is None or not hasattr(app, "get_openapi_schema"):
            continue
        schema = app.get_openapi_schema(
            title="Therapy booking API",
            version="1.0.0",
            description="Book therapy sessions; therapists confirm, decline, rearrange or cancel them.",
        ).model_dump(mode="json", by_alias=True, exclude_none=True)
        document = document or schema
        for path, operations in schema.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(schema.get("components", {}).get("schemas", {}))
    document["paths"] = dict(sorted(paths.items()))
    document["servers"] = [{"url": server_url}]
    document["components"] = {
        "schemas": dict(sorted(schemas.items())),
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A Cognito id token (locally: POST /dev/token).",
            }
        },
    }
    document["security"] = [{"bearerAuth": []}]
    for function in functions.values():  # a route without the authorizer needs no token (Auth: Authorizer: NONE)
        for event in function.events.values():
            properties = event.get("Properties", {})
            if event.get("Type") == "HttpApi" and is_public(properties):
                operation = document["paths"].get(properties["Path"], {}).get(properties["Method"].lower())
                if operation is not None:
                    operation["security"] = []
    return document
