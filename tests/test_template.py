"""template.yaml as a reviewer of the infrastructure reads it.

Runtime and layer, least-privilege policies (who may send email and SMS), the one authorised HTTP API,
Cognito groups, the table (checked against the PynamoDB models), platform parameters, stream consumers,
schedules and dead letters, and the routes: declared once each and served by the function that declares them.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from local_stack.streams import matches
from local_stack.template import functions as template_functions
from tests.support.http import call, http_event
from tests.support.streams import template_filters
from tests.support.template import TEMPLATE_PATH, load_template, resources_of_type
from therapy_booking.adapters.dynamodb import models as dynamodb_items
from therapy_booking.adapters.dynamodb.models import TableItem
from therapy_booking.api.auth import GROUP_ROLES
from therapy_booking.api.problems import PROBLEM_CONTENT_TYPE
from therapy_booking.domain.model import ROLE_GROUPS, OfferExpiryPolicy, Role
from therapy_booking.domain.sign_up import SIGN_UP_ROLE
from therapy_booking.domain.token_groups import GROUPS_NEEDING_MFA
from therapy_booking.settings import ListingSettings, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = resources_of_type("AWS::Serverless::Function")
GLOBALS: dict[str, Any] = load_template().get("Globals", {}).get("Function", {})

# API.md, "Therapists and clients" and "Sessions", every row.
THERAPIST_AND_CLIENT_ROUTES = [
    ("PUT", "/therapists/me"),
    ("GET", "/therapists/{therapist_id}"),
    ("GET", "/therapists"),
    ("PUT", "/therapists/me/availability"),
    ("GET", "/therapists/{therapist_id}/slots"),
    ("POST", "/therapists/me/blocks"),
    ("DELETE", "/therapists/me/blocks/{block_id}"),
    ("PUT", "/clients/me"),
    ("GET", "/therapists/me"),
    ("GET", "/therapists/me/blocks"),
    ("GET", "/clients/me"),
]
SESSION_ROUTES = [
    ("POST", "/sessions"),
    ("GET", "/sessions/{session_id}"),
    ("GET", "/sessions"),
    ("POST", "/sessions/{session_id}/confirm"),
    ("POST", "/sessions/{session_id}/decline"),
    ("POST", "/sessions/{session_id}/reschedule"),
    ("POST", "/sessions/{session_id}/location-change"),
    ("POST", "/sessions/{session_id}/location-change/accept"),
    ("POST", "/sessions/{session_id}/location-change/reject"),
    ("POST", "/sessions/{session_id}/offers"),
    ("POST", "/sessions/{session_id}/offers/accept"),
    ("POST", "/sessions/{session_id}/offers/reject"),
    ("POST", "/sessions/{session_id}/cancel"),
    ("POST", "/admin/sessions/{session_id}/rearrange"),
]

# API.md, "Calendars": the feed routes. The .ics route is the one route without the JWT authorizer (calendar apps
# cannot send a token; the unguessable address is the credential). An HTTP API path variable is a whole
# segment, so the template routes /calendar-feeds/{feed} and the handler accepts only `<token>.ics`.
CALENDAR_FEED_ROUTES = [
    ("GET", "/therapists/me/calendar-feed"),
    ("POST", "/therapists/me/calendar-feed/rotate"),
    ("GET", "/calendar-feeds/{feed}"),
]
PUBLIC_ROUTES = {("GET", "/calendar-feeds/{feed}")}

DYNAMODB_READ_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTable",
}


def the_one(kind: str) -> tuple[str, dict[str, Any]]:
    """The logical id and definition of the only resource of `kind`."""
    found = resources_of_type(kind)
    assert len(found) == 1, f"expected exactly one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def ref(value: Any) -> str | None:
    """The logical id behind `!Ref X`, else None."""
    return value.get("Ref") if isinstance(value, dict) and set(value) == {"Ref"} else None


def effective(function: dict[str, Any], key: str) -> Any:
    """A scalar property as SAM resolves it: the function's own value, else the Globals one."""
    return function["Properties"].get(key, GLOBALS.get(key))


def effective_list(function: dict[str, Any], key: str) -> list[Any]:
    """A list property as SAM merges it: Globals entries first, then the function's."""
    return [*GLOBALS.get(key, []), *function["Properties"].get(key, [])]


def effective_environment(name: str) -> dict[str, Any]:
    """Environment variables as SAM merges them (the function's own win over Globals)."""
    return template_functions()[name].environment


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    """The function's own statements: its inline ones, and those of a policy of its own on its role (SAM names the
    role `<function>Role`; a policy can name a resource the function itself may not, such as its trigger's pool)."""
    name = next(name for name, candidate in FUNCTIONS.items() if candidate is function)
    attached = [
        policy["Properties"]["PolicyDocument"]
        for policy in resources_of_type("AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"] == [{"Ref": f"{name}Role"}]
    ]
    return [
        statement
        for policy in [*function["Properties"].get("Policies", []), *attached]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in as_list(policy["Statement"])
    ]


def table_resource(resource: Any, table: str) -> str | None:
    """'table' or 'index/<name>' for an ARN of the template's table (or its indexes), else None."""
    if isinstance(resource, dict) and set(resource) == {"Fn::GetAtt"}:
        target = resource["Fn::GetAtt"]
        parts = target.split(".") if isinstance(target, str) else list(target)
        return "table" if parts == [table, "Arn"] else None
    if isinstance(resource, dict) and set(resource) == {"Fn::Sub"} and isinstance(resource["Fn::Sub"], str):
        found = re.fullmatch(r"\$\{" + re.escape(table) + r"\.Arn\}/index/([\w*.-]+)", resource["Fn::Sub"])
        return f"index/{found.group(1)}" if found else None
    return None


@dataclass(frozen=True)
class TemplateRoute:
    function: str
    event: str
    method: str
    path: str

    @property
    def module(self) -> str:
        code_uri: str = FUNCTIONS[self.function]["Properties"]["CodeUri"]
        return code_uri.strip("/").replace("/", ".") + ".app"

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def http_api_events() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, event_name, event)
        for name, function in FUNCTIONS.items()
        for event_name, event in function["Properties"].get("Events", {}).items()
        if event["Type"] == "HttpApi"
    ]


def template_routes() -> list[TemplateRoute]:
    return [
        TemplateRoute(name, event_name, event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for name, event_name, event in http_api_events()
    ]


# --- runtime and packaging ---------------------------------------------------------------------


def test_the_template_declares_functions() -> None:
    # Given the template / When its functions are listed / Then there are some (the checks below are not vacuous)
    assert len(FUNCTIONS) >= 5


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_runs_python313_on_arm64_with_the_shared_layer(name: str) -> None:
    # Given a function of the template
    function = FUNCTIONS[name]
    # When its runtime settings are resolved as SAM does (its own values, else Globals)
    runtime = effective(function, "Runtime")
    architectures = effective_list(function, "Architectures")
    layers = effective_list(function, "Layers")
    # Then it runs Python 3.13 on Graviton with the shared layer
    assert runtime == "python3.13"
    assert architectures and set(architectures) == {"arm64"}
    assert {"Ref": "SharedLayer"} in layers


def test_shared_layer_is_built_for_the_functions_runtime() -> None:
    # Given the shared layer / Then it is built and published for python3.13 on arm64
    layer = load_template()["Resources"]["SharedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"].strip("/") == "layers/shared"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}


def test_shared_layer_build_targets_lambda_and_ships_bytecode() -> None:
    # Given the layer's build recipe (sam build runs build-SharedLayer)
    recipe = (TEMPLATE_PATH.parent / "layers" / "shared" / "Makefile").read_text()
    # Then it installs arm64 CPython 3.13 wheels and compiles hash-based bytecode (the zip resets mtimes)
    assert "build-SharedLayer:" in recipe
    assert "--platform manylinux2014_aarch64" in recipe and "--python-version 3.13" in recipe
    assert "--invalidation-mode unchecked-hash" in recipe


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_code_has_the_handler_the_template_names(name: str) -> None:
    # Given a function's CodeUri and Handler
    function = FUNCTIONS[name]
    code_uri = function["Properties"]["CodeUri"].strip("/")
    file_stem, handler_name = effective(function, "Handler").rsplit(".", 1)
    # When its module is imported from that directory
    assert (ROOT / code_uri / f"{file_stem}.py").is_file()
    module = importlib.import_module(f"{code_uri.replace('/', '.')}.{file_stem}")
    # Then the named handler exists and is callable
    assert callable(getattr(module, handler_name, None))


# --- least privilege ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_has_its_own_inline_policy_and_no_broad_grants(name: str) -> None:
    # Given a function's Policies
    properties = FUNCTIONS[name]["Properties"]
    policies = properties.get("Policies", [])
    # Then SAM creates its own role (no shared Role), with its own inline statements
    assert "Role" not in properties, "a shared role defeats per-function least privilege"
    assert statements(FUNCTIONS[name]), "every function needs its own inline policy statements"
    for policy in policies:
        # And no SAM policy template (DynamoDBCrudPolicy, ...) and no *FullAccess managed policy
        if isinstance(policy, dict):
            assert "Statement" in policy, f"SAM policy template {sorted(policy)}: write the narrow statement instead"
        else:
            assert isinstance(policy, str)
            assert not policy.endswith("FullAccess"), f"managed policy {policy} is far too broad"
    for statement in statements(FUNCTIONS[name]):
        # And every statement names its actions and resources explicitly, without wildcards in actions
        assert statement.get("Effect") in ("Allow", "Deny")
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{name}: wildcard action {action}"
        if "*" in as_list(statement["Resource"]):
            # Except SMS to a phone number: sns:Publish has no ARN to name then, so the grant is on "*" and
            # the same policy denies publishing to any topic (see test_sms_publishing_cannot_reach_a_topic)
            assert statement["Effect"] == "Allow" and as_list(statement["Action"]) == ["sns:Publish"], (
                f"{name}: Resource '*'"
            )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_dynamodb_actions_reach_only_the_table_and_its_indexes(name: str) -> None:
    # Given the template's one table
    table, _ = the_one("AWS::DynamoDB::Table")
    for statement in statements(FUNCTIONS[name]):
        actions = as_list(statement["Action"])
        if not any(action.startswith("dynamodb:") for action in actions):
            continue
        # When a statement grants DynamoDB actions
        resources = [table_resource(resource, table) for resource in as_list(statement["Resource"])]
        # Then its resources are that table's ARN or its indexes' ARNs, nothing else
        assert None not in resources, f"{name}: {statement['Resource']} is not the table or its indexes"
        # And index ARNs are only ever read
        if any(resource != "table" for resource in resources):
            assert set(actions) <= DYNAMODB_READ_ACTIONS, f"{name}: writes granted on an index ARN"


MESSAGING_ACTIONS = {"ses:SendEmail", "ses:SendRawEmail", "sns:Publish"}
MESSAGING_FUNCTIONS = {
    "NotificationsFunction",
    "SessionRemindersFunction",
    "TherapistStandingFunction",
    "CalendarImportFunction",
    "CalendarSyncFunction",
}
# These tell a therapist about their account (standing, imported calendar): email only.
EMAIL_ONLY_FUNCTIONS = {"TherapistStandingFunction", "CalendarImportFunction", "CalendarSyncFunction"}
EMAIL_ACTIONS = {"ses:SendEmail", "ses:SendRawEmail"}
EVERY_SNS_TOPIC = {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}


def allowed_actions(function: dict[str, Any]) -> set[str]:
    return {
        action
        for statement in statements(function)
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
    }


def test_only_the_notification_functions_may_send_email_or_sms() -> None:
    # Given every function's allowed actions
    senders = {name for name, function in FUNCTIONS.items() if allowed_actions(function) & MESSAGING_ACTIONS}
    # Then exactly the functions that notify people may send email or SMS: the session notifications both,
    # the standing projection email alone
    assert senders == MESSAGING_FUNCTIONS
    for name in sorted(MESSAGING_FUNCTIONS - EMAIL_ONLY_FUNCTIONS):
        assert allowed_actions(FUNCTIONS[name]) >= MESSAGING_ACTIONS, name
    for name in sorted(EMAIL_ONLY_FUNCTIONS):
        assert allowed_actions(FUNCTIONS[name]) & MESSAGING_ACTIONS == EMAIL_ACTIONS, name


@pytest.mark.parametrize("name", sorted(MESSAGING_FUNCTIONS))
def test_email_goes_only_from_the_platform_sender(name: str) -> None:
    # Given a function's statements that allow sending email
    granted = [
        s
        for s in statements(FUNCTIONS[name])
        if s["Effect"] == "Allow" and {"ses:SendEmail", "ses:SendRawEmail"} & set(as_list(s["Action"]))
    ]
    assert granted
    for statement in granted:
        # Then they name the sender's SES identities (the address or its domain) of this account and region
        for resource in as_list(statement["Resource"]):
            text = resource["Fn::Sub"] if isinstance(resource["Fn::Sub"], str) else resource["Fn::Sub"][0]
            assert text.startswith("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"), text
        # And only with the platform's sender as the From address
        assert statement["Condition"]["StringEquals"]["ses:FromAddress"] == {"Ref": "EmailSender"}


@pytest.mark.parametrize("name", sorted(MESSAGING_FUNCTIONS - EMAIL_ONLY_FUNCTIONS))
def test_sms_publishing_cannot_reach_a_topic(name: str) -> None:
    # Given a function allowed to publish (to phone numbers: the grant can only be on "*")
    function = FUNCTIONS[name]
    assert allowed(statements(function), "sns:Publish") == ["*"]
    # Then the same policy denies publishing to every SNS topic, so "*" means phone numbers only
    denied = [
        resource
        for statement in statements(function)
        if statement["Effect"] == "Deny" and "sns:Publish" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]
    assert denied == [EVERY_SNS_TOPIC]


def test_reads_function_cannot_write_but_the_audit_trail() -> None:
    # Given the read-only function
    reads = FUNCTIONS["ReadsFunction"]
    # When its allowed actions are collected
    allowed = {
        action
        for statement in statements(reads)
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
    }
    # Then it may read the table and its indexes, and nothing else at all
    assert allowed, "ReadsFunction has no permissions"
    writes = allowed - DYNAMODB_READ_ACTIONS
    assert writes == {"dynamodb:PutItem"}, f"ReadsFunction may write: {sorted(writes)}"
    assert not [p for p in reads["Properties"].get("Policies", []) if isinstance(p, str)], "no managed policies"
    # And its one write, the audit entry of an admin's read, reaches only the audit partitions
    (put,) = [s for s in statements(reads) if "dynamodb:PutItem" in as_list(s["Action"])]
    assert put["Resource"] == {"Fn::GetAtt": "Table.Arn"}
    assert put["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}}


def test_the_admin_function_queries_only_the_audit_trail() -> None:
    # Given the team's function / When its Query grants are collected
    queries = [s for s in statements(FUNCTIONS["AdminFunction"]) if "dynamodb:Query" in as_list(s["Action"])]
    # Then one, on the table (by session) and gsi1 (by admin), only on the audit partitions
    (query,) = queries
    assert as_list(query["Action"]) == ["dynamodb:Query"]
    assert query["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}}


def test_profiles_function_queries_the_table_only_for_the_own_reads() -> None:
    # Given the function of the caller's own profile and blocks (it writes them and reads them back)
    profiles = FUNCTIONS["ProfilesFunction"]
    # When the resources of its Query grants are collected
    queried = [
        resource
        for statement in statements(profiles)
        if statement["Effect"] == "Allow" and "dynamodb:Query" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]
    # Then it queries the table itself (a therapist's block items), no index, and scans nothing
    assert queried == [{"Fn::GetAtt": "Table.Arn"}]
    assert not any(
        "dynamodb:Scan" in as_list(statement["Action"]) or "dynamodb:BatchGetItem" in as_list(statement["Action"])
        for statement in statements(profiles)
    )


# --- authentication ----------------------------------------------------------------------------


def test_http_api_default_authorizer_is_the_cognito_jwt_authorizer() -> None:
    # Given the one HTTP API, the user pool and its app client
    _, api = the_one("AWS::Serverless::HttpApi")
    pool, _ = the_one("AWS::Cognito::UserPool")
    app_client_name, app_client = the_one("AWS::Cognito::UserPoolClient")
    auth = api["Properties"]["Auth"]
    # When its default authorizer is looked up
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    jwt = authorizer["JwtConfiguration"]
    # Then it checks Cognito JWTs of this pool (issuer) minted for this app client (audience)
    assert authorizer["IdentitySource"] == "$request.header.Authorization"
    assert jwt["issuer"] in (
        {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${" + pool + "}"},
        {"Fn::Sub": "https://${" + pool + ".ProviderURL}"},
    )
    assert [ref(audience) for audience in jwt["audience"]] == [app_client_name]
    assert ref(app_client["Properties"]["UserPoolId"]) == pool
    # And the app client is a public (browser) client: no secret
    assert app_client["Properties"].get("GenerateSecret") is False


@pytest.mark.parametrize(("function", "event_name"), [(f, e) for f, e, _ in http_api_events()])
def test_every_route_is_on_the_http_api_and_requires_the_jwt(function: str, event_name: str) -> None:
    # Given an HttpApi event of a function
    api_name, _ = the_one("AWS::Serverless::HttpApi")
    properties = FUNCTIONS[function]["Properties"]["Events"][event_name]["Properties"]
    # Then it is attached to the one HTTP API (not the implicit one SAM would create)
    assert ref(properties.get("ApiId")) == api_name
    # And it does not opt out of the default JWT authorizer, unless it is the public calendar feed
    authorizer = properties.get("Auth", {}).get("Authorizer")
    if (properties["Method"].upper(), properties["Path"]) in PUBLIC_ROUTES:
        assert authorizer == "NONE"
        return
    assert authorizer in (None, load_template()["Resources"][api_name]["Properties"]["Auth"]["DefaultAuthorizer"])


def test_the_public_feed_route_has_a_throttle_of_its_own_from_parameters() -> None:
    # Given the HTTP API's route settings
    _, api = the_one("AWS::Serverless::HttpApi")
    (route,) = PUBLIC_ROUTES
    settings = api["Properties"]["RouteSettings"][" ".join(route)]
    # Then the public route is throttled by the template's parameters, with sensible defaults
    parameters = load_template()["Parameters"]
    rate, burst = ref(settings["ThrottlingRateLimit"]), ref(settings["ThrottlingBurstLimit"])
    assert rate in parameters and burst in parameters
    assert 1 <= int(parameters[rate]["Default"]) <= int(parameters[burst]["Default"]) <= 100
    # And only it and booking have settings of their own (the others keep the stage's default throttle)
    assert sorted(api["Properties"]["RouteSettings"]) == sorted([" ".join(route), "POST /sessions"])


def test_the_public_feed_function_only_reads_feed_lookups_the_therapists_keys_and_its_secret() -> None:
    # Given the function of the route without the authorizer
    (name,) = {r.function for r in template_routes() if r.key in PUBLIC_ROUTES}
    granted = {
        (action, json.dumps(resource, sort_keys=True), json.dumps(statement.get("Condition"), sort_keys=True))
        for statement in statements(FUNCTIONS[name])
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    lookups = json.dumps({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["CALENDAR_FEED#*"]}}, sort_keys=True)
    therapists = json.dumps(
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["THERAPIST#*", "RESERVATIONS#*"]}}, sort_keys=True
    )
    table = json.dumps({"Fn::GetAtt": "Table.Arn"})
    gsi1 = json.dumps({"Fn::Sub": "${Table.Arn}/index/gsi1"})
    secret = json.dumps({"Ref": "CalendarFeedSecret"})
    # Then: GetItem of the token lookups, Query of the index by therapist (their sessions, their reservations:
    # never the table, where a therapist's partition also holds their profile and calendar address), and the secret
    assert granted == {
        ("dynamodb:GetItem", table, lookups),
        ("dynamodb:Query", gsi1, therapists),
        ("secretsmanager:GetSecretValue", secret, "null"),
    }


def test_the_feed_secret_is_generated_by_the_template_and_read_only_by_the_feed_functions() -> None:
    name, secret = the_one("AWS::SecretsManager::Secret")
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    readers = {f for f in FUNCTIONS if "secretsmanager:GetSecretValue" in allowed_actions(FUNCTIONS[f])}
    assert readers == {"CalendarFeedFunction", "CalendarFeedAddressFunction"}
    for reader in readers:
        assert allowed(statements(FUNCTIONS[reader]), "secretsmanager:GetSecretValue") == [{"Ref": name}]
        assert effective_environment(reader)["CALENDAR_FEED_SECRET_ID"] == {"Ref": name}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_no_function_is_reachable_through_another_api(name: str) -> None:
    # Given a function's events / Then none is a REST API or function URL entry point that bypasses the HTTP API
    kinds = {event["Type"] for event in FUNCTIONS[name]["Properties"].get("Events", {}).values()}
    assert "Api" not in kinds
    assert "FunctionUrlConfig" not in FUNCTIONS[name]["Properties"]


def test_cognito_groups_are_the_roles_the_code_knows() -> None:
    # Given the user pool groups of the template
    pool, _ = the_one("AWS::Cognito::UserPool")
    groups = resources_of_type("AWS::Cognito::UserPoolGroup").values()
    names = [group["Properties"]["GroupName"] for group in groups]
    # Then they are therapists, clients and admins, each in our pool, exactly the groups the code maps to roles
    assert sorted(names) == ["admins", "clients", "therapists"]
    assert sorted(names) == sorted(GROUP_ROLES)
    assert all(ref(group["Properties"]["UserPoolId"]) == pool for group in groups)


def test_the_pool_lets_clients_sign_up_with_a_verified_email_address() -> None:
    # Given the user pool
    _, pool = the_one("AWS::Cognito::UserPool")
    properties = pool["Properties"]
    # Then people may register themselves (the team still creates therapists and admins with admin-create-user)
    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    # And their email address, which is their username, is verified with an emailed code before they can sign in
    assert properties["UsernameAttributes"] == ["email"]
    assert properties["AutoVerifiedAttributes"] == ["email"]
    assert properties["VerificationMessageTemplate"]["DefaultEmailOption"] == "CONFIRM_WITH_CODE"
    # And a changed address takes effect only once the new one is verified
    assert properties["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"] == ["email"]


def test_nothing_a_person_sends_can_choose_their_group() -> None:
    # Given the pool and its one app client
    _, pool = the_one("AWS::Cognito::UserPool")
    _, app_client = the_one("AWS::Cognito::UserPoolClient")
    # Then the pool has no custom attributes (nothing a role could be read from but the groups)
    assert "Schema" not in pool["Properties"]
    # And its only triggers are the sign-up function, after confirmation, and the token function, which can only
    # take groups away (no pre sign-up that could read what the person sent; both declared as SAM events)
    assert "LambdaConfig" not in pool["Properties"]
    triggers = [
        (name, event["Properties"])
        for name, function in FUNCTIONS.items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "Cognito"
    ]
    assert sorted((name, props["Trigger"]) for name, props in triggers) == [
        ("SignUpFunction", "PostConfirmation"),
        ("TokenGroupsFunction", "PreTokenGeneration"),
    ]
    # And through the app client a person may write their email address alone (never email_verified)
    assert app_client["Properties"]["WriteAttributes"] == ["email"]
    assert set(app_client["Properties"]["ReadAttributes"]) == {"email", "email_verified"}
    # And only the sign-up function may put anyone in a group, and only by adding; the only other Cognito grants
    # are the token function's reading of a user (whether they have TOTP) and the personal data function's
    # deletion of an account
    granted = {
        name: {action for action in allowed_actions(function) if action.startswith("cognito-idp:")}
        for name, function in FUNCTIONS.items()
    }
    assert {name: actions for name, actions in granted.items() if actions} == {
        "SignUpFunction": {"cognito-idp:AdminAddUserToGroup"},
        "TokenGroupsFunction": {"cognito-idp:AdminGetUser"},
        "PersonalDataFunction": {"cognito-idp:AdminDeleteUser"},
    }


def test_the_personal_data_function_may_delete_accounts_of_the_templates_pool_only() -> None:
    # Given the function that erases a client, and the pool
    function = FUNCTIONS["PersonalDataFunction"]
    pool, _ = the_one("AWS::Cognito::UserPool")
    # Then it may delete users of that one pool (it is no trigger: naming the pool makes no cycle), nothing else
    [statement] = [s for s in statements(function) if any(a.startswith("cognito-idp:") for a in as_list(s["Action"]))]
    assert as_list(statement["Action"]) == ["cognito-idp:AdminDeleteUser"]
    arn = f"arn:${{AWS::Partition}}:cognito-idp:${{AWS::Region}}:${{AWS::AccountId}}:userpool/${{{pool}}}"
    assert as_list(statement["Resource"]) == [{"Fn::Sub": arn}]
    # And it is told the pool in its environment
    assert function["Properties"]["Environment"]["Variables"]["USER_POOL_ID"] == {"Ref": pool}


def test_the_sign_up_trigger_may_only_add_users_to_groups() -> None:
    # Given the sign-up function, the pool's PostConfirmation trigger
    function = FUNCTIONS["SignUpFunction"]
    pool, _ = the_one("AWS::Cognito::UserPool")
    (event,) = function["Properties"]["Events"].values()
    assert event == {"Type": "Cognito", "Properties": {"UserPool": {"Ref": pool}, "Trigger": "PostConfirmation"}}
    # Then its one permission is AdminAddUserToGroup on that pool alone: in a policy of its own on its role (an
    # inline statement naming the pool would be a circular dependency: the pool names the function as its trigger)
    granted = [
        (statement["Effect"], as_list(statement["Action"]), as_list(statement["Resource"]))
        for statement in statements(function)
    ]
    assert granted == [("Allow", ["cognito-idp:AdminAddUserToGroup"], [{"Fn::GetAtt": f"{pool}.Arn"}])]
    assert "Policies" not in function["Properties"]
    # And it answers within the 5 seconds Cognito waits for a trigger
    assert effective(function, "Timeout") <= 5


def test_the_token_trigger_may_only_read_users_of_the_pool() -> None:
    # Given the token function
    function = FUNCTIONS["TokenGroupsFunction"]
    pool, _ = the_one("AWS::Cognito::UserPool")
    # Then it is the pool's Pre Token Generation trigger (every sign-in and refresh of every user passes it)
    (event,) = function["Properties"]["Events"].values()
    assert event == {"Type": "Cognito", "Properties": {"UserPool": {"Ref": pool}, "Trigger": "PreTokenGeneration"}}
    # And its one permission is AdminGetUser on that pool alone, in a policy of its own on its role (as the sign-up
    # trigger's: an inline statement naming the pool would be a circular dependency)
    granted = [
        (statement["Effect"], as_list(statement["Action"]), as_list(statement["Resource"]))
        for statement in statements(function)
    ]
    assert granted == [("Allow", ["cognito-idp:AdminGetUser"], [{"Fn::GetAtt": f"{pool}.Arn"}])]
    assert "Policies" not in function["Properties"]
    policies = resources_of_type("AWS::IAM::Policy").values()
    assert [p["Properties"]["Roles"] for p in policies].count([{"Ref": "TokenGroupsFunctionRole"}]) == 1
    # And it answers within the 5 seconds Cognito waits for a trigger
    assert effective(function, "Timeout") <= 5


def test_the_groups_that_need_mfa_are_the_templates_therapists_and_admins_and_not_clients() -> None:
    # Given the groups of the template and the rule of which need MFA
    groups = {group["Properties"]["GroupName"] for group in resources_of_type("AWS::Cognito::UserPoolGroup").values()}
    # Then the groups withheld without TOTP are the therapists' and admins' groups of the template, never the clients'
    assert GROUPS_NEEDING_MFA == {"therapists", "admins"} == {ROLE_GROUPS[Role.THERAPIST], ROLE_GROUPS[Role.ADMIN]}
    assert groups >= GROUPS_NEEDING_MFA
    assert ROLE_GROUPS[SIGN_UP_ROLE] not in GROUPS_NEEDING_MFA
    # And the pool offers TOTP (the factor the trigger looks for) without requiring it of everyone
    _, pool = the_one("AWS::Cognito::UserPool")
    assert pool["Properties"]["MfaConfiguration"] == "OPTIONAL"
    assert pool["Properties"]["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_group_the_trigger_adds_to_is_the_templates_clients_group() -> None:
    # Given the groups of the template and the role a self sign-up gets
    groups = {group["Properties"]["GroupName"] for group in resources_of_type("AWS::Cognito::UserPoolGroup").values()}
    # Then the group the trigger adds to is the clients' group of the template, mapped back to the client role
    assert ROLE_GROUPS[SIGN_UP_ROLE] == "clients"
    assert ROLE_GROUPS[SIGN_UP_ROLE] in groups
    assert GROUP_ROLES[ROLE_GROUPS[SIGN_UP_ROLE]] is Role.CLIENT


def test_the_hosted_sign_in_uses_the_code_flow_to_the_callback_urls_of_the_parameters() -> None:
    # Given the app client and the template's parameters
    pool, _ = the_one("AWS::Cognito::UserPool")
    _, app_client = the_one("AWS::Cognito::UserPoolClient")
    properties = app_client["Properties"]
    parameters = load_template()["Parameters"]
    # Then the hosted sign-in gives an authorization code (PKCE: no secret, no implicit flow) for the OpenID scopes
    assert properties["AllowedOAuthFlowsUserPoolClient"] is True
    assert properties["AllowedOAuthFlows"] == ["code"]
    assert sorted(properties["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert properties["SupportedIdentityProviders"] == ["COGNITO"]
    # And the SDK sign-in flows are kept
    assert properties["ExplicitAuthFlows"] == [
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    ]
    # And the callback and sign-out URLs are comma-separated parameters with local defaults
    for key, parameter, default in (
        ("CallbackURLs", "CallbackUrls", "http://localhost:5173/callback"),
        ("LogoutURLs", "LogoutUrls", "http://localhost:5173/"),
    ):
        assert properties[key] == {"Ref": parameter}
        assert parameters[parameter]["Type"] == "CommaDelimitedList"
        assert parameters[parameter]["Default"] == default
    # And the hosted sign-in has a domain on the pool, its prefix from a parameter (or derived from the stack id)
    (domain,) = resources_of_type("AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["UserPoolId"] == {"Ref": pool}
    condition, given, _derived = domain["Properties"]["Domain"]["Fn::If"]
    assert given == {"Ref": "AuthDomainPrefix"}
    assert load_template()["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AuthDomainPrefix"}, ""]}]}


def test_cors_lets_browsers_send_what_the_api_reads() -> None:
    # Given the HTTP API's CORS configuration
    _, api = the_one("AWS::Serverless::HttpApi")
    cors = api["Properties"]["CorsConfiguration"]
    # Then browsers may send the bearer token, JSON bodies and the booking's Idempotency-Key
    assert {h.lower() for h in cors["AllowHeaders"]} >= {"authorization", "content-type", "idempotency-key"}
    # And every method a route uses
    assert set(cors["AllowMethods"]) >= {route.method for route in template_routes()}


# --- the table ---------------------------------------------------------------------------------


def test_table_has_stream_pitr_sse_ttl_and_is_retained() -> None:
    # Given the one table
    _, table = the_one("AWS::DynamoDB::Table")
    properties = table["Properties"]
    # Then the outbox stream carries both images, backups and encryption are on, TTL cleans up `ttl`
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # And nobody deletes it by mistake, the stack included
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    # And deleting or replacing the stack never deletes the data
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_table_keys_and_indexes_match_the_pynamodb_models() -> None:
    # Given the table of the template and the schema PynamoDB derives from the models
    _, table = the_one("AWS::DynamoDB::Table")
    properties = table["Properties"]
    schema = TableItem._get_schema()
    # Then the primary key is the models' pk/sk
    assert properties["KeySchema"] == schema["key_schema"]
    assert [key["AttributeName"] for key in schema["key_schema"]] == ["pk", "sk"]
    # And the attribute definitions are exactly the models' key attributes, with the same types
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(schema["attribute_definitions"], key=str)
    # And each GSI has the models' name, key schema and projection (gsi1, gsi2)
    template_indexes = {
        index["IndexName"]: (index["KeySchema"], index["Projection"]) for index in properties["GlobalSecondaryIndexes"]
    }
    model_indexes = {
        index["index_name"]: (index["key_schema"], index["projection"]) for index in schema["global_secondary_indexes"]
    }
    assert template_indexes == model_indexes
    assert sorted(template_indexes) == ["gsi1", "gsi2", "gsi3"]
    assert "LocalSecondaryIndexes" not in properties and not schema["local_secondary_indexes"]


def test_every_model_lives_in_that_one_table() -> None:
    # Given every PynamoDB model of the adapters
    models = [
        value
        for value in vars(dynamodb_items).values()
        if isinstance(value, type) and issubclass(value, TableItem) and value is not TableItem
    ]
    assert len(models) >= 5
    # Then each has the single table's schema (no model brings its own keys or indexes)
    for model in models:
        assert model._get_schema() == TableItem._get_schema(), model.__name__


# --- platform parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "kind", "default"),
    [
        ("CancellationWindowHours", "Number", "24"),
        ("CommissionPercent", "Number", "10"),
        ("Currency", "String", "GBP"),
        ("OfferExpiryPolicy", "String", "cancel_and_refund"),
    ],
)
def test_platform_parameter_exists_with_its_default(parameter: str, kind: str, default: str) -> None:
    # Given the template's parameters / Then the platform setting is one, with the product's default
    declared = load_template()["Parameters"][parameter]
    assert declared["Type"] == kind
    assert str(declared["Default"]) == default


def test_commission_parameter_is_a_percentage() -> None:
    declared = load_template()["Parameters"]["CommissionPercent"]
    assert (declared["MinValue"], declared["MaxValue"]) == (0, 100)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_platform_parameters_reach_the_function_as_the_settings_it_reads(name: str) -> None:
    # Given a function's environment as SAM merges it
    environment = effective_environment(name)
    # Then the parameters and the table arrive under the names the code reads
    assert environment["CANCELLATION_WINDOW_HOURS"] == {"Ref": "CancellationWindowHours"}
    assert environment["COMMISSION_PERCENT"] == {"Ref": "CommissionPercent"}
    assert environment["CURRENCY"] == {"Ref": "Currency"}
    assert environment["OFFER_EXPIRY_POLICY"] == {"Ref": "OfferExpiryPolicy"}
    table, _ = the_one("AWS::DynamoDB::Table")
    assert environment["TABLE_NAME"] == {"Ref": table}
    # When the deployer picks non-default values and the function's settings are read from that environment
    chosen = {
        "CancellationWindowHours": "48",
        "CommissionPercent": "15",
        table: "prod-table",
        "Currency": "EUR",
        "OfferExpiryPolicy": "revert_to_original",
    }
    resolved = {key: chosen[value["Ref"]] for key, value in environment.items() if ref(value) in chosen}
    settings = Settings.from_environment(resolved)
    # Then the platform policy is the deployer's, not the code's defaults
    assert settings.table_name == "prod-table"
    assert settings.policy.cancellation_window_hours == 48
    assert settings.policy.commission_percent == 15
    assert settings.policy.currency == "EUR"
    assert settings.policy.offer_expiry_policy is OfferExpiryPolicy.REVERT_TO_ORIGINAL


def test_offer_expiry_policy_parameter_allows_exactly_the_policies_the_code_knows() -> None:
    # Given the parameter / Then its allowed values are the domain's policies, so a deploy cannot pick another
    declared = load_template()["Parameters"]["OfferExpiryPolicy"]
    assert sorted(declared["AllowedValues"]) == sorted(OfferExpiryPolicy)
    # And a value that slipped through anyway (a hand-set variable) stops the function at cold start
    with pytest.raises(SettingsError, match="OFFER_EXPIRY_POLICY"):
        Settings.from_environment({"TABLE_NAME": "t", "OFFER_EXPIRY_POLICY": "refund_later"})
    # And unset, the product's default applies
    default = Settings.from_environment({"TABLE_NAME": "t"}).policy.offer_expiry_policy
    assert default is OfferExpiryPolicy.CANCEL_AND_REFUND


def test_the_listing_cache_is_a_parameter_that_reaches_the_reads_function_alone() -> None:
    # Given the parameter: seconds a reads container keeps the listing's first pages (docs/scaling.md)
    declared = load_template()["Parameters"]["ListingCacheSeconds"]
    assert (declared["Type"], str(declared["Default"])) == ("Number", "60")
    low, high = int(declared["MinValue"]), int(declared["MaxValue"])
    assert (low, high) == (0, 300)  # 0 turns the cache off; at most five minutes of a hidden therapist listed
    # Then it reaches the function that serves GET /therapists, and no other (the rest read the listing unset: 0)
    with_it = [name for name in sorted(FUNCTIONS) if "LISTING_CACHE_SECONDS" in effective_environment(name)]
    assert with_it == ["ReadsFunction"]
    assert effective_environment("ReadsFunction")["LISTING_CACHE_SECONDS"] == {"Ref": "ListingCacheSeconds"}
    assert ("GET", "/therapists") in {route.key for route in template_routes() if route.function == "ReadsFunction"}
    # And every value the deploy accepts is one the settings accept, the default included; one beyond is refused
    for seconds in (low, int(declared["Default"]), high):
        assert ListingSettings.from_environment({"LISTING_CACHE_SECONDS": str(seconds)}).cache_seconds == seconds
    for seconds in (low - 1, high + 1):
        with pytest.raises(SettingsError, match="LISTING_CACHE_SECONDS must be a whole number of seconds"):
            ListingSettings.from_environment({"LISTING_CACHE_SECONDS": str(seconds)})
    # And unset, there is no cache
    assert ListingSettings.from_environment({}).cache_seconds == 0


# --- stream consumers, schedules, dead letters -------------------------------------------------

QUEUES = resources_of_type("AWS::SQS::Queue")
ROLES = resources_of_type("AWS::IAM::Role")
MAX_STREAM_RETRIES = 10  # bounded: a poison record must reach the on-failure queue, not block the shard for a day
MAX_SCHEDULE_RETRIES = 185  # EventBridge Scheduler's own upper limit


def get_att(value: Any, attribute: str = "Arn") -> str | None:
    """The logical id behind `!GetAtt X.<attribute>`, else None."""
    if not (isinstance(value, dict) and set(value) == {"Fn::GetAtt"}):
        return None
    target = value["Fn::GetAtt"]
    parts = target.split(".", 1) if isinstance(target, str) else list(target)
    return parts[0] if parts[1:] == [attribute] else None


def allowed(policy_statements: list[dict[str, Any]], action: str) -> list[Any]:
    """The resources the statements allow `action` on."""
    return [
        resource
        for statement in policy_statements
        if statement.get("Effect") == "Allow" and action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]


def role_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in as_list(policy["PolicyDocument"]["Statement"])
    ]


def dead_letter_queue(destination: Any) -> str:
    """The template queue an ARN points at; fails for anything else."""
    queue = get_att(destination)
    assert queue in QUEUES, f"{destination} is not the ARN of one of the template's SQS queues"
    return queue


def events_of(*kinds: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, event_name, event["Properties"])
        for name, function in FUNCTIONS.items()
        for event_name, event in function["Properties"].get("Events", {}).items()
        if event["Type"] in kinds
    ]


STREAM_EVENTS = events_of("DynamoDB", "Kinesis")
SCHEDULE_EVENTS = events_of("ScheduleV2", "Schedule")


def asynchronously_invoked() -> set[str]:
    """Functions invoked asynchronously: by a schedule of the template, or by a role (EventBridge Scheduler)."""
    invoked = {name for name, _, _ in SCHEDULE_EVENTS}
    for role in ROLES.values():
        for arn in allowed(role_statements(role), "lambda:InvokeFunction"):
            function = get_att(arn)
            assert function in FUNCTIONS, f"a role may invoke {arn}, which is not one of the template's functions"
            invoked.add(function)
    return invoked


def test_the_schedule_notification_and_reminder_functions_exist_and_are_among_those_checked() -> None:
    # Given the template's functions / Then the notification and reminder functions are there
    assert {"SessionSchedulesFunction", "NotificationsFunction", "SessionRemindersFunction"} <= set(FUNCTIONS)
    # And the stream consumers and the asynchronously invoked functions are covered by the checks below
    assert {"SessionSchedulesFunction", "NotificationsFunction"} <= {name for name, _, _ in STREAM_EVENTS}
    assert {"OfferExpiryFunction", "SessionRemindersFunction", "SweeperFunction"} <= asynchronously_invoked()


OUTBOX_EVENT_INSERTS = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity": {"S": ["event"]}}}}
RESERVATION_EVENT_INSERTS = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"entity": {"S": ["reservation_event"]}}},
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SessionSchedulesFunction", [OUTBOX_EVENT_INSERTS]),
        ("NotificationsFunction", [OUTBOX_EVENT_INSERTS, RESERVATION_EVENT_INSERTS]),
    ],
)
def test_outbox_consumer_reads_the_tables_stream_filtered_to_event_inserts(name: str, expected: list[Any]) -> None:
    # Given an outbox consumer's event sources
    table, _ = the_one("AWS::DynamoDB::Table")
    (properties,) = [p for f, _, p in STREAM_EVENTS if f == name]
    # Then it reads the table's stream, batch-wise, with the checks of every stream consumer (the test below)
    assert properties["Stream"] == {"Fn::GetAtt": f"{table}.StreamArn"}
    assert properties["BatchSize"] >= 1
    # And Lambda hands it only the INSERTs of outbox event items (not sessions, claims, or updates): the
    # sessions' to both, and the reservations' (their clients' emails) to the notifications consumer alone
    patterns = [json.loads(f["Pattern"]) for f in properties["FilterCriteria"]["Filters"]]
    assert patterns == expected


@pytest.mark.parametrize(
    ("entity", "event_name", "passes"),
    [
        ("event", "INSERT", True),
        ("reservation_event", "INSERT", True),
        ("reservation_event", "MODIFY", False),
        ("reservation", "INSERT", False),
        ("claim", "INSERT", False),
    ],
)
def test_the_notifications_filter_lets_through_session_and_reservation_event_inserts_alone(
    entity: str, event_name: str, passes: bool
) -> None:
    # Given a stream record of an item of `entity`, as Lambda hands it over
    record = {"eventName": event_name, "dynamodb": {"NewImage": {"entity": {"S": entity}}}}
    # When the notifications consumer's filters are applied as Lambda (and the local stack) applies them
    patterns = template_filters("NotificationsFunction")
    # Then only the INSERTs of session and reservation event items reach it
    assert any(matches(p, record) for p in patterns) is passes


@pytest.mark.parametrize(
    ("name", "event_name", "properties"), STREAM_EVENTS, ids=[f"{f}.{e}" for f, e, _ in STREAM_EVENTS]
)
def test_stream_consumer_reports_failed_items_bisects_retries_boundedly_and_dead_letters(
    name: str, event_name: str, properties: dict[str, Any]
) -> None:
    # Given a stream event source of a function
    # Then a failing record is reported alone, a failing batch is halved down to it, retries are bounded
    assert "ReportBatchItemFailures" in properties.get("FunctionResponseTypes", [])
    assert properties.get("BisectBatchOnFunctionError") is True
    retries = properties.get("MaximumRetryAttempts")
    assert isinstance(retries, int) and 0 <= retries <= MAX_STREAM_RETRIES, f"{name}: MaximumRetryAttempts {retries}"
    # And what still fails goes to one of the template's SQS queues, which the function may send to
    on_failure = properties.get("DestinationConfig", {}).get("OnFailure", {})
    assert on_failure.get("Type") == "SQS"
    queue = dead_letter_queue(on_failure.get("Destination"))
    assert {"Fn::GetAtt": f"{queue}.Arn"} in allowed(statements(FUNCTIONS[name]), "sqs:SendMessage")


@pytest.mark.parametrize(
    ("name", "event_name", "properties"), SCHEDULE_EVENTS, ids=[f"{f}.{e}" for f, e, _ in SCHEDULE_EVENTS]
)
def test_template_schedule_retries_boundedly_then_dead_letters_what_it_cannot_deliver(
    name: str, event_name: str, properties: dict[str, Any]
) -> None:
    # Given a schedule of the template / Then failed deliveries are retried a bounded number of times
    retries = properties.get("RetryPolicy", {}).get("MaximumRetryAttempts")
    assert isinstance(retries, int) and 0 <= retries <= MAX_SCHEDULE_RETRIES
    # And then go to one of the template's queues
    dead_letter_queue(properties.get("DeadLetterConfig", {}).get("Arn"))


@pytest.mark.parametrize("name", sorted(asynchronously_invoked()))
def test_asynchronously_invoked_function_dead_letters_its_own_failures(name: str) -> None:
    # Given a function invoked asynchronously (a schedule's DLQ only catches failures to invoke it)
    properties = FUNCTIONS[name]["Properties"]
    # Then its own errors are retried a bounded number of times by Lambda
    config = properties.get("EventInvokeConfig", {})
    assert 0 <= config.get("MaximumRetryAttempts", 2) <= 2
    # And then land in one of the template's queues, which the function may send to
    on_failure = config.get("DestinationConfig", {}).get("OnFailure", {})
    dead_letter = properties.get("DeadLetterQueue", {})
    assert on_failure or dead_letter, f"{name}: an error after its retries would be lost (no on-failure destination)"
    if on_failure:
        assert on_failure.get("Type") == "SQS"
        queue = dead_letter_queue(on_failure.get("Destination"))
        assert {"Fn::GetAtt": f"{queue}.Arn"} in allowed(statements(FUNCTIONS[name]), "sqs:SendMessage")
    else:
        assert dead_letter.get("Type") == "SQS"
        dead_letter_queue(dead_letter.get("TargetArn"))


def test_the_reminder_function_dead_letters_what_fails_after_bounded_retries() -> None:
    # Given the target of the reminder schedules (invoked asynchronously by EventBridge Scheduler)
    config = FUNCTIONS["SessionRemindersFunction"]["Properties"]["EventInvokeConfig"]
    # Then its own errors are retried at most twice, then sent to a queue of the template it may send to
    assert 0 <= config["MaximumRetryAttempts"] <= 2
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    queue = dead_letter_queue(on_failure["Destination"])
    assert {"Fn::GetAtt": f"{queue}.Arn"} in allowed(
        statements(FUNCTIONS["SessionRemindersFunction"]), "sqs:SendMessage"
    )


def session_schedules_environment() -> dict[str, Any]:
    return effective_environment("SessionSchedulesFunction")


def test_the_session_schedules_consumer_hands_each_schedule_its_target_role_group_and_queue() -> None:
    # Given the consumer's environment / Then it names the expiry and reminder functions as the targets
    environment = session_schedules_environment()
    assert get_att(environment["EXPIRY_FUNCTION_ARN"]) == "OfferExpiryFunction"
    assert get_att(environment["REMINDER_FUNCTION_ARN"]) == "SessionRemindersFunction"
    # And the role the schedules run with, the schedules' dead-letter queue, and the sessions' schedule group
    assert get_att(environment["SCHEDULER_ROLE_ARN"]) in ROLES
    dead_letter_queue(environment["SCHEDULES_DLQ_ARN"])
    group = ref(environment["SCHEDULE_GROUP"])
    assert group is not None
    assert load_template()["Resources"][group] == {
        "Type": "AWS::Scheduler::ScheduleGroup",
        "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-sessions"}},
    }


def test_the_scheduler_role_can_invoke_only_the_schedule_targets_and_write_only_their_dead_letter_queue() -> None:
    # Given the role the expiry and reminder schedules run with (the consumer hands it to each schedule)
    environment = session_schedules_environment()
    role_name = get_att(environment["SCHEDULER_ROLE_ARN"])
    assert role_name in ROLES
    role = ROLES[role_name]["Properties"]
    # Then only EventBridge Scheduler of this account can assume it
    (trust,) = as_list(role["AssumeRolePolicyDocument"]["Statement"])
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "ManagedPolicyArns" not in role
    # And it may invoke the expiry and reminder functions and nothing else, and send to the schedules' DLQ only
    granted = role_statements(ROLES[role_name])
    assert all(statement["Effect"] == "Allow" for statement in granted)
    actions = {action for statement in granted for action in as_list(statement["Action"])}
    assert actions == {"lambda:InvokeFunction", "sqs:SendMessage"}
    invoked = allowed(granted, "lambda:InvokeFunction")
    targets = [environment["EXPIRY_FUNCTION_ARN"], environment["REMINDER_FUNCTION_ARN"]]
    assert len(invoked) == len(targets) and all(target in invoked for target in targets)
    assert {get_att(arn) for arn in invoked} == {"OfferExpiryFunction", "SessionRemindersFunction"}
    assert allowed(granted, "sqs:SendMessage") == [environment["SCHEDULES_DLQ_ARN"]]
    dead_letter_queue(environment["SCHEDULES_DLQ_ARN"])


def test_the_schedules_consumer_may_only_manage_schedules_of_its_group_and_pass_only_the_scheduler_role() -> None:
    # Given the stream consumer that creates, replaces and deletes the sessions' schedules, and its group
    consumer = FUNCTIONS["SessionSchedulesFunction"]
    environment = session_schedules_environment()
    group = ref(environment["SCHEDULE_GROUP"])
    assert group is not None and load_template()["Resources"][group]["Type"] == "AWS::Scheduler::ScheduleGroup"
    granted = statements(consumer)
    # Then its Scheduler actions are exactly create, update and delete, on the schedules of that group only
    scheduler_actions = {a for s in granted for a in as_list(s["Action"]) if a.startswith("scheduler:")}
    assert scheduler_actions == {"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"}
    in_group = {
        "Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${" + group + "}/*"
    }
    for action in scheduler_actions:
        assert allowed(granted, action) == [in_group], action
    # And the only role it may pass is the scheduler role the schedules run with
    assert allowed(granted, "iam:PassRole") == [environment["SCHEDULER_ROLE_ARN"]]
    # And besides those it may only send failed batches to its queue (no DynamoDB, no Lambda, nothing else)
    others = {a for s in granted for a in as_list(s["Action"])} - scheduler_actions - {"iam:PassRole"}
    assert others == {"sqs:SendMessage"}


# --- routes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), THERAPIST_AND_CLIENT_ROUTES + SESSION_ROUTES + CALENDAR_FEED_ROUTES)
def test_api_route_is_declared_exactly_once(method: str, path: str) -> None:
    # Given every HttpApi route of the template / When the API.md route is counted / Then it is there once
    declared = Counter(route.key for route in template_routes())
    assert declared[(method, path)] == 1, f"{method} {path} is declared {declared[(method, path)]} times"


def test_no_route_is_declared_twice() -> None:
    declared = Counter(route.key for route in template_routes())
    assert [key for key, count in declared.items() if count > 1] == []


def sample_body(route: TemplateRoute) -> Any:
    """The body of the route's sample in events/, so validation passes and the request reaches the route."""
    for path in sorted((ROOT / "events").glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("routeKey") == f"{route.method} {route.path}" and event.get("body") is not None:
            return json.loads(event["body"])
    return None


@pytest.mark.parametrize("route", template_routes(), ids=lambda route: f"{route.method} {route.path}")
def test_template_route_is_served_by_its_function(route: TemplateRoute) -> None:
    # Given the function module that the template says serves the route
    handler = importlib.import_module(route.module).lambda_handler
    # And an HTTP API v2.0 event for that route that carries no verified claims
    parameters = {name: f"example-{name}" for name in re.findall(r"{(\w+)}", route.path)}
    event = http_event(route.method, route.path, path_parameters=parameters, body=sample_body(route))
    # When the function handles it, with AWS calls forbidden
    forbidden = AssertionError("an unauthenticated request reached AWS")
    with mock.patch.object(BaseClient, "_make_api_call", side_effect=forbidden):
        answer = call(handler, event)
    # Then our code answers 401 problem details (Powertools matched the route), before touching any data; the
    # public feed, which takes no token, answers 404 for an address that is not a feed's
    if route.key in PUBLIC_ROUTES:
        assert (answer.status, answer.body["code"]) == (404, "not_found"), (answer.status, answer.body)
        return
    assert answer.status == 401, (answer.status, answer.body)
    assert answer.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert answer.body["code"] == "unauthorized"
    assert answer.body["status"] == 401


@pytest.mark.parametrize("route", template_routes(), ids=lambda route: f"{route.method} {route.path}")
def test_template_route_sent_to_another_function_is_not_found(route: TemplateRoute) -> None:
    # Given the functions that do not declare the route (shows that a 401 above means Powertools matched it),
    # leaving out those with a less specific route the path also fits (GET /therapists/{therapist_id} for
    # GET /therapists/me): API Gateway sends a path to its most specific route, never to them
    parameters = {name: f"example-{name}" for name in re.findall(r"{(\w+)}", route.path)}
    path = re.sub(r"{(\w+)}", lambda m: parameters[m.group(1)], route.path)
    declaring = {
        r.module
        for r in template_routes()
        if r.method == route.method and re.fullmatch(re.sub(r"{\w+}", "[^/]+", r.path), path)
    }
    others = sorted({r.module for r in template_routes()} - declaring)
    event = http_event(route.method, route.path, path_parameters=parameters, body=sample_body(route))
    assert others
    for module in others:
        # When it is sent the route's event / Then it has no such route
        answer = call(importlib.import_module(module).lambda_handler, event)
        assert answer.status == 404, (module, answer.status)
        assert answer.body["detail"] == "There is no such route."


@pytest.mark.parametrize("name", sorted({route.function for route in template_routes()}))
def test_function_serves_no_route_the_template_does_not_declare(name: str) -> None:
    # Given the routes a function's Powertools app registers (its OpenAPI paths)
    module = next(route.module for route in template_routes() if route.function == name)
    schema = importlib.import_module(module).app.get_openapi_schema()
    served = {
        (method.upper(), path)
        for path, item in (schema.paths or {}).items()
        for method in ("get", "put", "post", "delete", "patch")
        if getattr(item, method, None) is not None
    }
    # Then they are exactly the routes the template sends to that function (no dead or unreachable route)
    declared = {route.key for route in template_routes() if route.function == name}
    assert served == declared


# --- production settings: throttles, reserved concurrency, logs, CORS, MFA, alarms (issue 15) ------------------

PARAMETERS: dict[str, Any] = load_template()["Parameters"]
CONDITIONS: dict[str, Any] = load_template()["Conditions"]
RESOURCES: dict[str, Any] = load_template()["Resources"]
LOG_GROUPS = resources_of_type("AWS::Logs::LogGroup")
ALARMS = resources_of_type("AWS::CloudWatch::Alarm")
# CloudWatch Logs' retention values (PutRetentionPolicy), in days
CLOUDWATCH_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]  # fmt: skip
ACCOUNT_CONCURRENCY = 1000  # a Lambda account's default concurrency quota per region
UNRESERVED_MINIMUM = 100  # Lambda keeps this much of it unreserved
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "sub": "$context.authorizer.claims.sub",
    "integrationErrorMessage": "$context.integrationErrorMessage",
}


def parameter_ref(value: Any) -> dict[str, Any]:
    """The parameter behind `!Ref P` (fails for anything else)."""
    name = ref(value)
    assert name in PARAMETERS, f"{value} is not a parameter of the template"
    declared: dict[str, Any] = PARAMETERS[name]
    return declared


def default_of(value: Any) -> int:
    return int(parameter_ref(value)["Default"])


def stream_consumers() -> set[str]:
    return {name for name, _, _ in STREAM_EVENTS}


def dead_letter_queues() -> set[str]:
    """Every queue something dead-letters to: a redrive target, an on-failure destination, a schedule's DLQ."""
    found = set()
    for queue in QUEUES.values():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            found.add(dead_letter_queue(redrive["deadLetterTargetArn"]))
    for _, _, properties in events_of("DynamoDB", "Kinesis", "SQS", "ScheduleV2", "Schedule"):
        if "DestinationConfig" in properties:
            found.add(dead_letter_queue(properties["DestinationConfig"]["OnFailure"]["Destination"]))
        if "DeadLetterConfig" in properties:
            found.add(dead_letter_queue(properties["DeadLetterConfig"]["Arn"]))
    for function in FUNCTIONS.values():
        invoke_config = function["Properties"].get("EventInvokeConfig", {})
        if "DestinationConfig" in invoke_config:
            found.add(dead_letter_queue(invoke_config["DestinationConfig"]["OnFailure"]["Destination"]))
    return found


def watched(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric, dimensions) of each metric the alarm reads, its own or those of its metric math."""
    properties = alarm["Properties"]
    if "MetricName" in properties:
        metrics = [(properties["Namespace"], properties["MetricName"], properties.get("Dimensions", []))]
    else:
        metrics = [
            (query["MetricStat"]["Metric"]["Namespace"], query["MetricStat"]["Metric"]["MetricName"],
             query["MetricStat"]["Metric"].get("Dimensions", []))
            for query in properties["Metrics"]
            if "MetricStat" in query
        ]  # fmt: skip
    return [
        (namespace, metric, {d["Name"]: d["Value"] for d in dimensions}) for namespace, metric, dimensions in metrics
    ]


def alarms_on(namespace: str, metric: str, dimension: str, value: Any) -> list[str]:
    return [
        name
        for name, alarm in ALARMS.items()
        if any(
            (space, found) == (namespace, metric) and dimensions.get(dimension) == value
            for space, found, dimensions in watched(alarm)
        )
    ]


def the_alarm_on(namespace: str, metric: str, dimension: str, value: Any) -> dict[str, Any]:
    found = alarms_on(namespace, metric, dimension, value)
    assert len(found) == 1, f"expected one alarm on {namespace} {metric} {dimension}={value}, found {found}"
    alarm: dict[str, Any] = ALARMS[found[0]]["Properties"]
    return alarm


def fires_on_any(alarm: dict[str, Any]) -> bool:
    return bool(alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold")


def test_log_retention_is_a_parameter_of_cloudwatchs_values_defaulting_to_90_days() -> None:
    declared = PARAMETERS["LogRetentionDays"]
    assert declared["Type"] == "Number"
    assert int(declared["Default"]) == 90
    assert [int(days) for days in declared["AllowedValues"]] == CLOUDWATCH_RETENTION_DAYS


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_logs_to_its_own_log_group_with_the_retention_parameter(name: str) -> None:
    # Given a function's logging configuration
    group = ref(FUNCTIONS[name]["Properties"].get("LoggingConfig", {}).get("LogGroup"))
    # Then it names a log group of the template, kept LogRetentionDays, named after the function
    assert group in LOG_GROUPS, f"{name} has no log group of the stack (Lambda would create one kept for ever)"
    properties = LOG_GROUPS[group]["Properties"]
    assert properties["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert properties["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}/{name}"}
    # And no other function writes to it
    others = [
        n
        for n, f in FUNCTIONS.items()
        if n != name and ref(f["Properties"].get("LoggingConfig", {}).get("LogGroup")) == group
    ]
    assert not others


def test_every_log_group_of_the_stack_has_the_retention_parameter() -> None:
    assert len(LOG_GROUPS) == len(FUNCTIONS) + 1  # one per function, and the API's access log
    for name, group in LOG_GROUPS.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_the_api_access_log_is_json_with_exactly_the_operational_fields() -> None:
    # Given the HTTP API's access log settings
    _, api = the_one("AWS::Serverless::HttpApi")
    settings = api["Properties"]["AccessLogSettings"]
    # Then they go to a log group of the stack (kept LogRetentionDays)
    assert get_att(settings["DestinationArn"]) in LOG_GROUPS
    # And each line is a JSON object of exactly: request id and time, route key (the template path, never the
    # requested path: a feed's path is its secret), status, latencies, the caller's sub, the integration error
    line = json.loads(settings["Format"])
    assert line == ACCESS_LOG_FIELDS
    # And nothing that identifies a device or carries what a person sent: no IP, path, query string, agent, body
    for forbidden in ("identity", "sourceIp", "path", "querystring", "queryString", "userAgent", "body", "email"):
        assert forbidden not in settings["Format"], forbidden


def test_the_stage_throttles_every_route_and_booking_and_the_feed_more_tightly_from_parameters() -> None:
    # Given the HTTP API's default route settings
    _, api = the_one("AWS::Serverless::HttpApi")
    default = api["Properties"]["DefaultRouteSettings"]
    rate, burst = default_of(default["ThrottlingRateLimit"]), default_of(default["ThrottlingBurstLimit"])
    # Then every route is throttled by parameters, below the account's regional limit (10,000 a second)
    assert 1 <= rate <= burst < 10_000
    # And booking and the public feed each have a tighter throttle, from parameters of their own
    for route in ("POST /sessions", "GET /calendar-feeds/{feed}"):
        settings = api["Properties"]["RouteSettings"][route]
        own_rate, own_burst = default_of(settings["ThrottlingRateLimit"]), default_of(settings["ThrottlingBurstLimit"])
        assert 1 <= own_rate <= own_burst
        assert own_rate < rate and own_burst < burst, route
        assert settings["ThrottlingRateLimit"] != default["ThrottlingRateLimit"]


def test_the_stream_consumers_and_the_sweeper_have_a_small_reservation_from_parameters() -> None:
    # Given the functions that must not be starved by the API: the stream consumers and the sweeper
    reserved_functions = stream_consumers() | {"SweeperFunction"}
    assert {"NotificationsFunction", "SessionSchedulesFunction", "TherapistStandingFunction"} <= reserved_functions
    total = 0
    for name in sorted(reserved_functions):
        # Then each reserves concurrency from a parameter, or nothing when the parameter is 0
        value = FUNCTIONS[name]["Properties"]["ReservedConcurrentExecutions"]
        condition, reserved, otherwise = value["Fn::If"]
        assert otherwise == {"Ref": "AWS::NoValue"}
        parameter = ref(reserved)
        assert parameter in PARAMETERS and int(PARAMETERS[parameter]["MinValue"]) == 0
        assert CONDITIONS[condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, 0]}]}
        total += default_of(reserved)
    # And together they leave almost all of a default account's concurrency to the API (Lambda keeps 100 apart)
    assert 0 < total <= (ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM) // 20
    # And no other function reserves any (a reservation is also a cap)
    assert {n for n, f in FUNCTIONS.items() if "ReservedConcurrentExecutions" in f["Properties"]} == reserved_functions


def test_cors_origins_come_from_a_list_parameter_without_a_wildcard() -> None:
    _, api = the_one("AWS::Serverless::HttpApi")
    origins = api["Properties"]["CorsConfiguration"]["AllowOrigins"]
    declared = parameter_ref(origins)
    assert declared["Type"] == "CommaDelimitedList"
    assert "*" not in str(declared["Default"])
    assert "AllowCredentials" not in api["Properties"]["CorsConfiguration"]  # bearer tokens, no cookies


def test_the_pool_offers_totp_mfa_and_threat_protection_behind_a_parameter() -> None:
    _, pool = the_one("AWS::Cognito::UserPool")
    properties = pool["Properties"]
    # Then MFA by authenticator app is optional (required of whoever set it up), SMS is not a factor
    assert properties["MfaConfiguration"] == "OPTIONAL"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    # And threat protection follows its parameter, on the Plus plan it needs
    assert properties["UserPoolAddOns"] == {"AdvancedSecurityMode": {"Ref": "ThreatProtection"}}
    assert sorted(PARAMETERS["ThreatProtection"]["AllowedValues"]) == ["AUDIT", "ENFORCED", "OFF"]
    assert properties["UserPoolTier"] == {"Fn::If": ["ThreatProtectionOn", "PLUS", {"Ref": "AWS::NoValue"}]}
    assert CONDITIONS["ThreatProtectionOn"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ThreatProtection"}, "OFF"]}]}
    # And the password policy is the one docs/deploying.md states
    policy = properties["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert policy["RequireLowercase"] and policy["RequireUppercase"] and policy["RequireNumbers"]


def test_the_template_has_every_dead_letter_queue_it_should() -> None:
    # Given the queues / Then every one is a dead-letter queue or feeds one (no queue without a place for failures)
    found = dead_letter_queues()
    assert found == {
        "StreamDeadLetterQueue",
        "NotificationsDeadLetterQueue",
        "SchedulesDeadLetterQueue",
        "CalendarSyncDeadLetterQueue",
    }
    for name, queue in QUEUES.items():
        assert name in found or "RedrivePolicy" in queue["Properties"], name


@pytest.mark.parametrize("queue", sorted(dead_letter_queues()))
def test_a_message_in_a_dead_letter_queue_raises_an_alarm(queue: str) -> None:
    alarm = the_alarm_on(
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", {"Fn::GetAtt": f"{queue}.QueueName"}
    )
    assert fires_on_any(alarm)
    assert alarm["Statistic"] == "Maximum"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_errors_and_throttles_of_each_function_raise_alarms_of_their_own(name: str) -> None:
    for metric in ("Errors", "Throttles"):
        alarm = the_alarm_on("AWS/Lambda", metric, "FunctionName", {"Ref": name})
        assert fires_on_any(alarm) and alarm["Statistic"] == "Sum", metric
        assert alarm["AlarmName"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}-{metric.lower()}"}


@pytest.mark.parametrize("name", sorted(stream_consumers()))
def test_a_stream_consumer_falling_behind_raises_an_alarm(name: str) -> None:
    alarm = the_alarm_on("AWS/Lambda", "IteratorAge", "FunctionName", {"Ref": name})
    assert alarm["Statistic"] == "Maximum"
    assert 0 < alarm["Threshold"] <= 15 * 60 * 1000  # milliseconds: minutes behind, far from the stream's 24 h


def test_the_apis_5xx_rate_raises_an_alarm() -> None:
    api, _ = the_one("AWS::Serverless::HttpApi")
    alarm = the_alarm_on("AWS/ApiGateway", "5xx", "ApiId", {"Ref": api})
    # Then it is a rate: 5xx over all requests of the same API, in percent
    assert ("AWS/ApiGateway", "Count", {"ApiId": {"Ref": api}}) in [
        (space, metric, dims) for space, metric, dims in watched({"Properties": alarm})
    ]
    (returned,) = [query for query in alarm["Metrics"] if query.get("ReturnData")]
    assert "100 * errors / requests" in returned["Expression"]
    assert 0 < alarm["Threshold"] <= 5


def test_every_schedule_is_in_a_group_of_the_stack() -> None:
    groups = resources_of_type("AWS::Scheduler::ScheduleGroup")
    for name, event, properties in SCHEDULE_EVENTS:
        assert ref(properties.get("GroupName")) in groups, f"{name}.{event} is in the account's default group"
    assert session_schedules_environment()["SCHEDULE_GROUP"] == {"Ref": "SessionSchedules"}


@pytest.mark.parametrize("group", sorted(resources_of_type("AWS::Scheduler::ScheduleGroup")))
def test_failed_scheduler_invocations_of_each_group_raise_alarms(group: str) -> None:
    for metric in ("TargetErrorCount", "InvocationDroppedCount", "InvocationsFailedToBeSentToDeadLetterCount"):
        alarm = the_alarm_on("AWS/Scheduler", metric, "ScheduleGroup", {"Ref": group})
        assert fires_on_any(alarm), metric


def test_every_alarm_notifies_the_alarm_topic_on_alarm_and_on_recovery() -> None:
    topic = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    # Given the topic: the parameter's, or the stack's own when the parameter is empty
    assert CONDITIONS["CreateAlarmTopic"] == {"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}
    assert RESOURCES["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    assert RESOURCES["AlarmTopic"]["Condition"] == "CreateAlarmTopic"
    assert PARAMETERS["AlarmTopicArn"]["Default"] == ""
    assert len(ALARMS) >= 2 * len(FUNCTIONS)
    for name, alarm in ALARMS.items():
        properties = alarm["Properties"]
        # Then every alarm notifies it, when it fires and when it clears
        assert properties["AlarmActions"] == [topic], name
        assert properties["OKActions"] == [topic], name
        # And a quiet metric is not an alarm
        assert properties["TreatMissingData"] == "notBreaching", name


def test_alarms_are_one_per_cause_named_for_the_on_call_and_say_what_to_do() -> None:
    names = [alarm["Properties"]["AlarmName"]["Fn::Sub"] for alarm in ALARMS.values()]
    assert len(set(names)) == len(names)
    assert all(name.startswith("${AWS::StackName}-") for name in names)
    causes = [json.dumps(watched(alarm), sort_keys=True) for alarm in ALARMS.values()]
    assert len(set(causes)) == len(causes)
    deploying = (ROOT / "docs" / "deploying.md").read_text()
    for name, alarm in ALARMS.items():
        assert "docs/deploying.md" in alarm["Properties"]["AlarmDescription"], name
        assert len(alarm["Properties"]["AlarmDescription"]) <= 1024, name
        # And the operator's guide explains each kind of alarm by its name's suffix
        suffix = alarm["Properties"]["AlarmName"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        kind = "<function>-" + suffix.split("Function-", 1)[1] if "Function-" in suffix else suffix
        assert kind in deploying, f"docs/deploying.md does not explain {suffix}"


def test_every_checkov_finding_skipped_in_the_template_says_why() -> None:
    # Given the template's resources that skip checkov checks (make test runs checkov: any other finding fails it)
    skips = [
        (name, skip)
        for name, resource in load_template()["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    # Then each names its check and gives its reason in a sentence
    assert skips, "the template skips no check: then checkov's own findings fail the build"
    for name, skip in skips:
        assert str(skip.get("id", "")).startswith("CKV_"), name
        assert len(str(skip.get("comment", "")).split()) >= 8, f"{name} skips {skip.get('id')} without a reason"


def test_no_function_but_the_reads_one_may_write_the_audit_trail_and_none_may_change_it() -> None:
    # Given every function's statements on the table
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for name, function in FUNCTIONS.items():
        own = statements(function)
        unrestricted = [
            s
            for s in own
            if s["Effect"] == "Allow"
            and writes & set(as_list(s["Action"]))
            and s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys") is None
        ]
        audit_writes = [
            s
            for s in own
            if s["Effect"] == "Allow"
            and writes & set(as_list(s["Action"]))
            and "AUDIT#*" in s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys", [])
        ]
        if not unrestricted and not audit_writes:
            continue
        # Then a function that could reach AUDIT# items denies itself every change of them (the reads function
        # keeps PutItem alone: it writes each entry once)
        denied = {
            action
            for s in own
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("ForAnyValue:StringLike", {}).get("dynamodb:LeadingKeys") == ["AUDIT#*"]
            for action in as_list(s["Action"])
        }
        expected = writes - {"dynamodb:PutItem"} if name == "ReadsFunction" else writes
        assert denied == expected, name


def test_a_deploy_refuses_a_wildcard_cors_origin() -> None:
    # Given the template's rules / Then one asserts that the allowed origins do not contain "*"
    (rule,) = [r for r in load_template().get("Rules", {}).values()]
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Contains": [{"Ref": "CorsAllowOrigins"}, "*"]}]}
