"""What the Functions host indexes: the registered functions and their bindings, the type
checks the Python worker makes, host.json, requirements.txt and the example settings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions import meta

from lookup import settings as settings_module
from lookup.functionapp import MAX_DEQUEUE_COUNT
from lookup.functionapp import settings as app_settings_module
from lookup.functionapp.settings import AppSettings

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_registered_functions_and_bindings(registered: dict[str, Any]) -> None:
    bindings = {
        name: sorted(
            (b["name"], b["type"], b["direction"], b.get("queueName"), b.get("connection"))
            for b in json.loads(f.get_function_json())["bindings"]
        )
        for name, f in registered.items()
    }
    queue = ("msg", "queue", "OUT", "%ANOMALY_LOOKUP_QUEUE_NAME%", "AzureWebJobsStorage")
    assert bindings == {
        "incidents": sorted(
            [
                ("$return", "http", "OUT", None, None),
                ("req", "httpTrigger", "IN", None, None),
                queue,
            ]
        ),
        "incident_events": sorted([("event", "eventGridTrigger", "IN", None, None), queue]),
        "lookup_worker": [
            ("msg", "queueTrigger", "IN", "%ANOMALY_LOOKUP_QUEUE_NAME%", "AzureWebJobsStorage")
        ],
        "lookup_poison": [
            (
                "msg",
                "queueTrigger",
                "IN",
                "%ANOMALY_LOOKUP_QUEUE_NAME%-poison",
                "AzureWebJobsStorage",
            )
        ],
        "health": sorted(
            [("$return", "http", "OUT", None, None), ("req", "httpTrigger", "IN", None, None)]
        ),
    }


def test_http_routes_methods_and_auth(registered: dict[str, Any]) -> None:
    routes = {}
    for name, f in registered.items():
        trigger = json.loads(f.get_function_json())["bindings"]
        http = [b for b in trigger if b["type"] == "httpTrigger"]
        if http:
            routes[name] = (http[0]["route"], http[0]["methods"], http[0]["authLevel"])
    assert routes == {
        "incidents": ("incidents", ["POST"], "FUNCTION"),
        "health": ("health", ["GET"], "FUNCTION"),
    }


def _is_out(annotation: Any) -> bool:
    return typing.get_origin(annotation) is func.Out


def test_annotations_pass_the_workers_binding_checks(registered: dict[str, Any]) -> None:
    # The worker resolves annotations with typing.get_type_hints (so postponed annotations
    # are fine) and asks each binding's converter whether it accepts the annotated type.
    registry = meta.get_binding_registry()
    for name, f in registered.items():
        hints = typing.get_type_hints(f.get_user_function())
        for binding in json.loads(f.get_function_json())["bindings"]:
            if binding["name"] == "$return":
                converter = registry.get(binding["type"])
                assert converter.check_output_type_annotation(hints["return"]), name
                continue
            annotation = hints[binding["name"]]
            if binding["direction"] == "OUT":
                assert _is_out(annotation), (name, binding["name"])
                (inner,) = typing.get_args(annotation)
                assert inner is str, (name, binding["name"])  # the worker's generic binding
            else:
                converter = registry.get(binding["type"])
                assert converter.check_input_type_annotation(annotation), (name, binding["name"])


def test_importing_the_app_stays_light() -> None:
    # The HTTP trigger answers on a cold instance: importing function_app must not pull the
    # engine, the Azure SDK clients or DuckDB (which is not even deployed).
    code = (
        "import sys, function_app\n"
        "heavy = ['duckdb', 'numpy', 'lookup.engine', 'azure.monitor.query',\n"
        "         'azure.mgmt.securityinsight', 'azure.identity']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_host_json() -> None:
    host = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))
    assert host["version"] == "2.0"
    assert host["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }
    queues = host["extensions"]["queues"]
    assert queues["maxDequeueCount"] == MAX_DEQUEUE_COUNT
    assert queues["batchSize"] == 1 and queues["newBatchThreshold"] == 0
    assert queues["messageEncoding"] == "base64"
    assert host["extensions"]["http"]["routePrefix"] == "api"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", host["functionTimeout"])


def _requirement_names() -> list[str]:
    lines = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [
        re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower()
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_requirements_deploy_what_the_app_imports() -> None:
    names = _requirement_names()
    assert names == [
        "azure-functions",
        "azure-identity",
        "azure-monitor-query",
        "azure-mgmt-securityinsight",
        "azure-core",
        "numpy",
    ]
    assert "duckdb" not in names and "azure-functions-worker" not in names


def test_example_settings_are_valid_and_real_ones_are_ignored() -> None:
    example = json.loads((REPO_ROOT / "local.settings.example.json").read_text(encoding="utf-8"))
    values = example["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    settings = AppSettings.from_env(values)
    assert settings == AppSettings()
    names = {
        v
        for module in (settings_module, app_settings_module)
        for k, v in vars(module).items()
        if k.startswith("ENV_") and k != "ENV_PREFIX"
    }
    assert names <= set(values), "every setting is in the example, at its default"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "local.settings.json"], cwd=REPO_ROOT, check=False
    )
    assert ignored.returncode == 0


@pytest.mark.parametrize("name", ["incidents", "health"])
def test_http_functions_answer_json(functions: dict[str, Any], name: str) -> None:
    assert typing.get_type_hints(functions[name])["return"] is func.HttpResponse
