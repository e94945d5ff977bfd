"""The Logic App playbook: workflow.json is a Logic Apps workflow definition that forwards the
Sentinel incident trigger body to the route function_app.py registers, authenticated with the
function key it reads at run time, with retries; playbook.bicep supplies its parameters and a
managed-identity Sentinel connection.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from infra_support import (
    REPO_ROOT,
    HttpFunction,
    Template,
    as_call,
    http_functions,
    module_using,
    ref,
    route_prefix,
    unquoted_keys,
)

WORKFLOW_SCHEMA = (
    "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/"
    "workflowdefinition.json#"
)
WORKFLOW_TOP_LEVEL = {"$schema", "contentVersion", "parameters", "triggers", "actions", "outputs"}
PARAMETER_TYPES = {
    "String",
    "SecureString",
    "Int",
    "Float",
    "Bool",
    "Array",
    "Object",
    "SecureObject",
}
RUN_AFTER_STATUSES = {"Succeeded", "Failed", "Skipped", "TimedOut"}
INCIDENTS_ROUTE = "incidents"


def strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []


@pytest.fixture(scope="module")
def actions(workflow_definition: dict[str, Any]) -> dict[str, Any]:
    return workflow_definition["actions"]


@pytest.fixture(scope="module")
def incidents_function(registered_http_functions: list[HttpFunction]) -> HttpFunction:
    matches = [f for f in registered_http_functions if f.route == INCIDENTS_ROUTE]
    assert len(matches) == 1, (
        f"function_app.py must register exactly one HTTP route {INCIDENTS_ROUTE!r}; "
        f"found {registered_http_functions}"
    )
    return matches[0]


@pytest.fixture(scope="module")
def workflow_resource(templates: dict[str, Template]) -> dict[str, Any]:
    playbook = templates["playbook/playbook.bicep"]
    (symbol,) = playbook.resources_of_type("Microsoft.Logic/workflows")
    return playbook.config(symbol)


# --------------------------------------------------------------- workflow schema shape


def test_workflow_definition_shape(workflow_definition: dict[str, Any]) -> None:
    assert set(workflow_definition) == WORKFLOW_TOP_LEVEL
    assert workflow_definition["$schema"] == WORKFLOW_SCHEMA
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", workflow_definition["contentVersion"])
    for name, parameter in workflow_definition["parameters"].items():
        assert parameter["type"] in PARAMETER_TYPES, name
    for name, action in workflow_definition["actions"].items():
        assert isinstance(action["type"], str) and action["type"], name
        assert isinstance(action["inputs"], dict), name
        assert re.fullmatch(r"[A-Za-z0-9_]+", name), name
    (trigger_name,) = workflow_definition["triggers"]
    assert re.fullmatch(r"[A-Za-z0-9_]+", trigger_name)


def test_run_after_forms_a_chain_from_the_trigger(actions: dict[str, Any]) -> None:
    roots = [name for name, action in actions.items() if not action.get("runAfter")]
    assert roots == ["Get_function_key"]
    for name, action in actions.items():
        for previous, statuses in (action.get("runAfter") or {}).items():
            assert previous in actions and previous != name, f"{name} runs after {previous}"
            assert set(statuses) <= RUN_AFTER_STATUSES and statuses, name
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(actions):
        ready = [
            n for n, a in actions.items() if n not in done and set(a.get("runAfter") or {}) <= done
        ]
        assert ready, "runAfter has a cycle"
        order.extend(sorted(ready))
        done.update(ready)
    assert order == ["Get_function_key", "Post_incident_to_function"]


def test_expressions_use_only_declared_parameters(workflow_definition: dict[str, Any]) -> None:
    declared = set(workflow_definition["parameters"])
    used = {
        match
        for text in strings({k: workflow_definition[k] for k in ("triggers", "actions")})
        for match in re.findall(r"parameters\('([^']+)'\)", text)
    }
    assert used == declared


def test_expressions_reference_existing_actions(workflow_definition: dict[str, Any]) -> None:
    for text in strings(workflow_definition["actions"]):
        for name in re.findall(r"(?:body|outputs|actions)\('([^']+)'\)", text):
            assert name in workflow_definition["actions"], name


def test_sentinel_incident_trigger(workflow_definition: dict[str, Any]) -> None:
    trigger = workflow_definition["triggers"]["Microsoft_Sentinel_incident"]
    assert trigger["type"] == "ApiConnectionWebhook"
    inputs = trigger["inputs"]
    assert inputs["path"] == "/incident-creation"
    assert inputs["body"] == {"callback_url": "@listCallbackUrl()"}
    assert inputs["host"]["connection"]["name"] == (
        "@parameters('$connections')['azuresentinel']['connectionId']"
    )


# ----------------------------------------------------------- the call to the function


def test_posts_the_trigger_body_to_the_registered_route(
    actions: dict[str, Any],
    incidents_function: HttpFunction,
) -> None:
    post = actions["Post_incident_to_function"]
    assert post["type"] == "Http"
    inputs = post["inputs"]
    assert inputs["method"] == "POST"
    assert "POST" in incidents_function.methods
    url = urlsplit(inputs["uri"])
    assert url.scheme == "https"
    assert url.netloc == "@{parameters('functionHostName')}"
    assert url.path == f"/{route_prefix(REPO_ROOT)}/{incidents_function.route}"
    assert inputs["body"] == "@triggerBody()"
    assert inputs["headers"]["Content-Type"] == "application/json"


def test_post_is_authenticated_with_the_function_key(
    actions: dict[str, Any],
    incidents_function: HttpFunction,
) -> None:
    # authLevel function: a key is required; the key comes from the previous action only.
    assert incidents_function.auth_level == "FUNCTION"
    post = actions["Post_incident_to_function"]
    key = post["inputs"]["headers"]["x-functions-key"]
    assert key.startswith("@")
    assert set(re.findall(r"body\('([^']+)'\)", key)) == {"Get_function_key"}
    assert "?code=" not in post["inputs"]["uri"]
    assert post["runAfter"] == {"Get_function_key": ["Succeeded"]}
    # The key must not appear in the run history.
    assert "inputs" in post["runtimeConfiguration"]["secureData"]["properties"]


def test_post_retries_and_does_not_poll(actions: dict[str, Any]) -> None:
    post = actions["Post_incident_to_function"]
    retry = post["inputs"]["retryPolicy"]
    assert retry["type"] == "exponential"
    assert retry["count"] == 4
    for key in ("interval", "minimumInterval", "maximumInterval"):
        assert re.fullmatch(r"PT\d+[SM]", retry[key]), key
    # The function answers 202 Accepted; without this the Logic App would poll Location.
    assert post["operationOptions"] == "DisableAsyncPattern"


def test_function_key_is_listed_with_the_managed_identity(
    actions: dict[str, Any],
    incidents_function: HttpFunction,
) -> None:
    get_key = actions["Get_function_key"]
    assert get_key["type"] == "Http"
    inputs = get_key["inputs"]
    assert inputs["method"] == "POST"
    assert inputs["uri"] == (
        "@{parameters('functionAppManagementUrl')}/functions/"
        f"{incidents_function.function_name}/listkeys"
    )
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", inputs["queries"]["api-version"])
    assert inputs["authentication"] == {
        "type": "ManagedServiceIdentity",
        "audience": "@parameters('managementAudience')",
    }
    assert inputs["retryPolicy"]["type"] == "exponential"
    assert "outputs" in get_key["runtimeConfiguration"]["secureData"]["properties"]


def test_health_route_matches_the_output(
    registered_http_functions: list[HttpFunction],
    main_template: Template,
) -> None:
    health = [f for f in registered_http_functions if f.route == "health"]
    assert len(health) == 1 and "GET" in health[0].methods, registered_http_functions
    prefix = route_prefix(REPO_ROOT)
    outputs = main_template.outputs
    assert outputs["ANOMALY_LOOKUP_HEALTH_URL"]["value"].endswith(f"/{prefix}/health")
    assert outputs["ANOMALY_LOOKUP_INCIDENTS_URL"]["value"].endswith(f"/{prefix}/{INCIDENTS_ROUTE}")


# ------------------------------------------------------------------- playbook.bicep


def test_bicep_supplies_exactly_the_workflow_parameters(
    workflow_resource: dict[str, Any],
    workflow_definition: dict[str, Any],
) -> None:
    supplied = unquoted_keys(workflow_resource["properties"]["parameters"])
    declared = workflow_definition["parameters"]
    required = {name for name, p in declared.items() if "defaultValue" not in p}
    assert required <= set(supplied)
    assert set(supplied) <= set(declared)
    assert all(set(value) == {"value"} for value in supplied.values())


def test_workflow_definition_is_loaded_from_the_json_file(
    workflow_resource: dict[str, Any],
) -> None:
    call = as_call(workflow_resource["properties"]["definition"])
    assert call is not None and call.name == "load_json_content"
    assert call.args["file_path"] == "workflow.json"


def test_sentinel_connection_uses_the_managed_identity(
    templates: dict[str, Template],
    workflow_resource: dict[str, Any],
) -> None:
    playbook = templates["playbook/playbook.bicep"]
    assert workflow_resource["identity"] == {"type": "SystemAssigned"}
    assert workflow_resource["properties"]["state"] == "Enabled"
    (connection_symbol,) = playbook.resources_of_type("Microsoft.Web/connections")
    connection = playbook.config(connection_symbol)
    assert connection["properties"]["parameterValueType"] == "Alternative"
    api_id = playbook.resolve(connection["properties"]["api"]["id"])
    call = as_call(api_id)
    assert call is not None and call.name == "subscription_resource_id"
    assert call.args["resource_type"] == "Microsoft.Web/locations/managedApis"
    assert call.args["resource_name_2"] == "azuresentinel"

    value = unquoted_keys(workflow_resource["properties"]["parameters"])["$connections"]["value"]
    sentinel = value["azuresentinel"]
    assert sentinel["connectionProperties"] == {
        "authentication": {"type": "ManagedServiceIdentity"}
    }
    assert ref(sentinel["connectionId"]) == (connection_symbol, ("id",))
    assert playbook.resolve(sentinel["id"]) == api_id


def test_playbook_targets_the_deployed_function(
    main_template: Template,
    templates: dict[str, Template],
    workflow_resource: dict[str, Any],
) -> None:
    function_symbol, _ = module_using(main_template, "app/function-app.bicep")
    _, playbook = module_using(main_template, "playbook/playbook.bicep")
    assert ref(playbook["params"]["functionHostName"]) == (
        function_symbol,
        ("outputs", "defaultHostName"),
    )
    assert ref(playbook["params"]["functionAppName"]) == (function_symbol, ("outputs", "name"))
    params = unquoted_keys(workflow_resource["properties"]["parameters"])
    assert params["functionHostName"] == {"value": "functionHostName"}
    url = as_call(params["functionAppManagementUrl"]["value"])
    assert url is not None and url.name == "uri"
    assert ref(url.args["relative_uri"]) == ("functionApp", ("id",))
    bicep = templates["playbook/playbook.bicep"]
    assert bicep.resources["functionApp"]["existing"] is True
    assert bicep.resources["functionApp"]["config"]["name"] == "functionAppName"


# ------------------------------------------------------- the function_app.py reader


def test_http_function_reader_understands_the_v2_decorators() -> None:
    source = """
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

@app.function_name(name="incidents")
@app.route(route="incidents", methods=[func.HttpMethod.POST], auth_level=func.AuthLevel.FUNCTION)
def submit(req): ...

@app.route(route="health", methods=["GET"])
def health(req): ...

@app.route(methods=["post"])
async def echo(req): ...

@app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
def worker(msg): ...
"""
    assert http_functions(source) == [
        HttpFunction("incidents", "incidents", ("POST",), "FUNCTION"),
        HttpFunction("health", "health", ("GET",), "ANONYMOUS"),
        HttpFunction("echo", "echo", ("POST",), "ANONYMOUS"),
    ]
