"""Calls the real function handlers the way API Gateway would, routing by template.yaml."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from tests.support.http import Answer, call, http_event
from tests.support.template import resources_of_type


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    module: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = "^" + re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", self.path) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


def template_routes() -> list[Route]:
    routes = []
    for function in resources_of_type("AWS::Serverless::Function").values():
        module = function["Properties"]["CodeUri"].strip("/").replace("/", ".") + ".app"
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                routes.append(Route(props["Method"].upper(), props["Path"], module))
    # literal segments win over parameters (/therapists/me before /therapists/{therapist_id})
    return sorted(routes, key=lambda r: r.path.count("{"))


@dataclass(frozen=True)
class Caller:
    sub: str
    role: str


class Api:
    def __init__(self) -> None:
        self.routes = template_routes()

    def handler_for(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        raise LookupError(f"no route for {method} {path}")

    def request(
        self,
        method: str,
        path: str,
        caller: Caller | None,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        route, params = self.handler_for(method, path)
        event = http_event(
            method,
            route.path,
            path_parameters=params,
            body=body,
            sub=caller.sub if caller else None,
            role=caller.role if caller else None,
            query=query,
            headers=headers,
        )
        handler = importlib.import_module(route.module).lambda_handler
        return call(handler, event)

    def get(self, path: str, caller: Caller | None, **kwargs: Any) -> Answer:
        return self.request("GET", path, caller, **kwargs)

    def post(self, path: str, caller: Caller | None, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("POST", path, caller, body=body, **kwargs)

    def put(self, path: str, caller: Caller | None, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("PUT", path, caller, body=body, **kwargs)

    def delete(self, path: str, caller: Caller | None, **kwargs: Any) -> Answer:
        return self.request("DELETE", path, caller, **kwargs)
