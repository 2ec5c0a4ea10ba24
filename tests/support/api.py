"""Calls the real function handlers the way API Gateway would, routing by template.yaml."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from local_stack.template import HttpRoute, functions, http_routes
from tests.support.http import Answer, call, http_event


@dataclass(frozen=True)
class Caller:
    sub: str
    role: str


class Api:
    def __init__(self) -> None:
        self.routes = http_routes()
        self.functions = functions()

    def handler_for(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]]:
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
        function = self.functions[route.function]
        handler = getattr(importlib.import_module(function.module), function.handler)
        return call(handler, event)

    def get(self, path: str, caller: Caller | None, **kwargs: Any) -> Answer:
        return self.request("GET", path, caller, **kwargs)

    def post(self, path: str, caller: Caller | None, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("POST", path, caller, body=body, **kwargs)

    def put(self, path: str, caller: Caller | None, body: Any = None, **kwargs: Any) -> Answer:
        return self.request("PUT", path, caller, body=body, **kwargs)

    def delete(self, path: str, caller: Caller | None, **kwargs: Any) -> Answer:
        return self.request("DELETE", path, caller, **kwargs)
