"""Fixtures of the infrastructure tests (helpers live in infra_support.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from infra_support import (
    INFRA_DIR,
    REPO_ROOT,
    HttpFunction,
    Template,
    http_functions,
    require_tool,
)


@pytest.fixture(scope="session")
def bicep_paths() -> list[Path]:
    paths = sorted(INFRA_DIR.rglob("*.bicep"))
    assert paths, f"no .bicep file under {INFRA_DIR}"
    return paths


@pytest.fixture(scope="session")
def templates(bicep_paths: list[Path]) -> dict[str, Template]:
    """Every infra/**/*.bicep, parsed, keyed by path relative to infra/ (``app/x.bicep``)."""
    pycep = require_tool("pycep", "pip install pycep-parser")
    parser = pycep.BicepParser()
    parsed: dict[str, Template] = {}
    for path in bicep_paths:
        template = Template(path=path, tree=parser.parse(file_path=path))
        parsed[template.rel] = template
    return parsed


@pytest.fixture(scope="session")
def main_template(templates: dict[str, Template]) -> Template:
    return templates["main.bicep"]


@pytest.fixture(scope="session")
def workflow_definition() -> dict[str, Any]:
    return json.loads((INFRA_DIR / "playbook" / "workflow.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def function_app_source() -> str:
    path = REPO_ROOT / "function_app.py"
    if not path.is_file():
        pytest.fail(
            "function_app.py is missing at the repository root: the playbook posts to the route "
            "it registers and azd deploys it (azure.yaml: services.api.project '.')",
            pytrace=False,
        )
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def registered_http_functions(function_app_source: str) -> list[HttpFunction]:
    return http_functions(function_app_source)
