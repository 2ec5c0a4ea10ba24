"""template.yaml read as SAM reads it: routes, functions, their environment and triggers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open() as stream:
        template: dict[str, Any] = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506 (safe loader)
    return template


@cache
def load_template() -> dict[str, Any]:
    return load()


def resources_of_type(kind: str, template: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    resources = (template or load_template())["Resources"]
    return {name: res for name, res in resources.items() if res["Type"] == kind}


def create_table(client: Any, table_name: str, template: Mapping[str, Any] | None = None) -> None:
    """Create the template's DynamoDB table (keys, GSIs, stream, TTL) under `table_name`."""
    (properties,) = (res["Properties"] for res in resources_of_type("AWS::DynamoDB::Table", template).values())
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
        BillingMode=properties["BillingMode"],
        StreamSpecification={"StreamEnabled": True, **properties["StreamSpecification"]},
    )
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=properties["TimeToLiveSpecification"])


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str  # template syntax: /sessions/{session_id}
    function: str
    public: bool = False  # the route opts out of the API's authorizer (SAM `Auth: Authorizer: NONE`)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = "^" + re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", self.path) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class Function:
    name: str  # logical id
    module: str  # functions/booking/ -> functions.booking.app
    handler: str
    environment: dict[str, Any]
    events: dict[str, dict[str, Any]]
    properties: dict[str, Any] = field(repr=False)


def _module_of(code_uri: str, handler: str) -> str:
    return code_uri.strip("/").replace("/", ".") + "." + handler.rsplit(".", 1)[0]


def functions(template: Mapping[str, Any] | None = None) -> dict[str, Function]:
    """Every AWS::Serverless::Function, with Globals merged in as SAM merges them."""
    template = template or load_template()
    defaults = template.get("Globals", {}).get("Function", {})
    found = {}
    for name, resource in resources_of_type("AWS::Serverless::Function", template).items():
        properties = {**defaults, **resource["Properties"]}
        environment = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        handler = properties["Handler"]
        found[name] = Function(
            name=name,
            module=_module_of(properties["CodeUri"], handler),
            handler=handler.rsplit(".", 1)[1],
            environment=environment,
            events=properties.get("Events", {}),
            properties=properties,
        )
    return found


def http_routes(template: Mapping[str, Any] | None = None) -> list[HttpRoute]:
    """HttpApi routes, literal segments before parameters (/therapists/me before /therapists/{id})."""
    routes = [
        HttpRoute(
            event["Properties"]["Method"].upper(),
            event["Properties"]["Path"],
            function.name,
            public=is_public(event["Properties"]),
        )
        for function in functions(template).values()
        for event in function.events.values()
        if event["Type"] == "HttpApi"
    ]
    return sorted(routes, key=lambda r: r.path.count("{"))


def is_public(event_properties: Mapping[str, Any]) -> bool:
    """An HttpApi event with `Auth: Authorizer: NONE`: SAM attaches no authorizer to its route, so API Gateway
    lets every request through to the function, with no JWT claims."""
    auth = event_properties.get("Auth") or {}
    return isinstance(auth, Mapping) and auth.get("Authorizer") == "NONE"


def parameter_defaults(template: Mapping[str, Any] | None = None) -> dict[str, str]:
    template = template or load_template()
    return {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}
