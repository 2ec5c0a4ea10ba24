"""template.yaml as data, so tests build exactly the infrastructure that deploys."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


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


@cache
def load_template() -> dict[str, Any]:
    with TEMPLATE_PATH.open() as stream:
        template: dict[str, Any] = yaml.load(stream, Loader=_CloudFormationLoader)
    return template


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in load_template()["Resources"].items() if res["Type"] == kind}


def create_table(client: Any, table_name: str) -> None:
    """Create the template's DynamoDB table (keys, GSIs, stream, TTL) under `table_name`."""
    (properties,) = (res["Properties"] for res in resources_of_type("AWS::DynamoDB::Table").values())
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
        BillingMode=properties["BillingMode"],
        StreamSpecification={"StreamEnabled": True, **properties["StreamSpecification"]},
    )
    ttl = properties["TimeToLiveSpecification"]
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
