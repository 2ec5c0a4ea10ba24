"""The business metrics in template.yaml: the namespace parameter reaching the functions as the setting the
code reads, and the dashboard plotting every series the code emits (docs/observability.md), each function's
errors and the API's 5xx."""

from __future__ import annotations

import json
import re
from typing import Any

from local_stack.template import functions as template_functions
from tests.support.template import load_template, resources_of_type
from therapy_booking.domain.events import EventType, ExpiryOutcome
from therapy_booking.domain.metrics import (
    EVENT_METRICS,
    NOTIFICATIONS_FAILED,
    NOTIFICATIONS_SENT,
    REMINDERS_SENT,
    RESERVATION_METRICS,
)
from therapy_booking.domain.model import Role
from therapy_booking.domain.notifications import Channel
from therapy_booking.settings import MetricsSettings

TEMPLATE = load_template()
NAMESPACE_VARIABLE = "${MetricsNamespace}"
SERVICE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
PSEUDO = {"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}

Series = tuple[str, frozenset[tuple[str, str]]]


def emitted() -> set[Series]:
    """Every series the code can emit: each metric with each value of its dimensions' enumerations."""
    dimensioned: dict[str, list[dict[str, str]]] = {
        EVENT_METRICS[EventType.SESSION_CANCELLED]: [{"cancelled_by": str(r)} for r in Role],
        EVENT_METRICS[EventType.OFFER_EXPIRED]: [{"outcome": str(o)} for o in ExpiryOutcome],
        EVENT_METRICS[EventType.LOCATION_CHANGE_EXPIRED]: [{"outcome": str(o)} for o in ExpiryOutcome],
        NOTIFICATIONS_SENT: [{"channel": str(c)} for c in Channel],
        NOTIFICATIONS_FAILED: [{"channel": str(c)} for c in Channel],
        REMINDERS_SENT: [{"reminder": str(k)} for k in (EventType.SESSION_REMINDER, EventType.RESPONSE_REMINDER)],
    }
    names = [*EVENT_METRICS.values(), *RESERVATION_METRICS.values(), *dimensioned]
    return {(name, frozenset(dimensions.items())) for name in names for dimensions in dimensioned.get(name, [{}])}


def dashboard() -> dict[str, Any]:
    (definition,) = resources_of_type("AWS::CloudWatch::Dashboard").values()
    return definition


def body_text() -> str:
    body = dashboard()["Properties"]["DashboardBody"]
    assert set(body) == {"Fn::Sub"} and isinstance(body["Fn::Sub"], str)
    text: str = body["Fn::Sub"]
    return text


def metric_rows() -> list[list[Any]]:
    body = json.loads(body_text())
    return [row for widget in body["widgets"] for row in widget["properties"]["metrics"]]


def plotted(row: list[Any]) -> tuple[str, str, dict[str, str]]:
    """A row's namespace, metric name and dimensions (its trailing options left out)."""
    namespace, name, *rest = [item for item in row if not isinstance(item, dict)]
    return namespace, name, dict(zip(rest[::2], rest[1::2], strict=True))


# --- the namespace ---------------------------------------------------------------------------------


def test_the_namespace_is_a_parameter_with_a_default() -> None:
    declared = TEMPLATE["Parameters"]["MetricsNamespace"]
    assert declared["Type"] == "String"
    assert declared["Default"] == "TherapyBooking"


def test_every_function_gets_the_namespace_and_service_the_metrics_settings_read() -> None:
    # Given each function's environment as SAM merges it
    for name, function in template_functions().items():
        environment = function.environment
        # Then the namespace is the parameter's, under the name Powertools and the settings read
        assert environment["POWERTOOLS_METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}, name
        # And the settings read the deployer's choice from it
        settings = MetricsSettings.from_environment(
            {
                "POWERTOOLS_METRICS_NAMESPACE": "Prod/Booking",
                "POWERTOOLS_SERVICE_NAME": environment["POWERTOOLS_SERVICE_NAME"],
            }
        )
        assert (settings.namespace, settings.service) == ("Prod/Booking", SERVICE)


# --- the dashboard ---------------------------------------------------------------------------------


def test_there_is_one_dashboard_named_after_the_stack() -> None:
    assert dashboard()["Properties"]["DashboardName"] == {"Fn::Sub": "${AWS::StackName}-business"}


def test_the_dashboard_plots_every_business_series_the_code_emits_in_the_parameters_namespace() -> None:
    # Given the dashboard's rows of the business metrics
    business = [plotted(row) for row in metric_rows() if not str(row[0]).startswith("AWS/")]
    # Then each is in the namespace parameter, of the service the functions run as
    assert {namespace for namespace, _, _ in business} == {NAMESPACE_VARIABLE}
    assert all(dimensions.pop("service") == SERVICE for _, _, dimensions in business)
    # And together they are exactly the series the code can emit, each once
    series = [(name, frozenset(dimensions.items())) for _, name, dimensions in business]
    assert len(series) == len(set(series))
    assert set(series) == emitted()


def test_the_dashboard_plots_every_functions_errors_and_the_apis_5xx() -> None:
    rows = [plotted(row) for row in metric_rows()]
    errors = {
        dimensions["FunctionName"]
        for namespace, name, dimensions in rows
        if (namespace, name) == ("AWS/Lambda", "Errors")
    }
    assert errors == {f"${{{function}}}" for function in resources_of_type("AWS::Serverless::Function")}
    (api,) = resources_of_type("AWS::Serverless::HttpApi")
    assert ("AWS/ApiGateway", "5xx", {"ApiId": f"${{{api}}}", "Stage": "$default"}) in rows


def test_every_variable_of_the_dashboard_is_a_parameter_a_resource_or_a_pseudo_parameter() -> None:
    known = set(TEMPLATE["Parameters"]) | set(TEMPLATE["Resources"]) | PSEUDO
    assert set(re.findall(r"\$\{([^}]+)\}", body_text())) <= known
