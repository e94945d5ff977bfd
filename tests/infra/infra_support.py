"""Helpers of the infrastructure tests: a thin model over pycep trees, function_app.py routes.

Every ``.bicep`` file under ``infra/`` is parsed once with pycep-parser (a Python Bicep
parser). pycep gives a JSON-like tree in which identifiers and string literals are both plain
``str``; :class:`Template` resolves them against the file's own parameters, variables,
resources and modules.

Tools the tests need (pycep, PyYAML, checkov) are skipped with a reason when missing on a
developer machine, and fail the run when ``CI=true``: CI must never pass without them.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def require_tool(module_name: str, install_hint: str) -> ModuleType:
    """Import a test tool; skip locally (with the reason) or fail in CI when it is missing."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        message = f"{module_name} is not installed: {install_hint}"
        if IN_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)


# --------------------------------------------------------------------------- Bicep model


@dataclass(frozen=True)
class PropertyRef:
    """``<base>.<path>`` such as ``storage.properties.primaryEndpoints.blob``."""

    base: Any
    path: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    """A function call as pycep names it (``guid``, ``subscription_resource_id``, ...)."""

    name: str
    args: dict[str, Any]


def flatten_access(node: Any) -> PropertyRef | None:
    """Turn pycep's nested ``property_accessor`` operators into one :class:`PropertyRef`."""
    if not (isinstance(node, dict) and "operator" in node):
        return None
    op = node["operator"]
    if op.get("type") != "property_accessor":
        return None
    left, right = op["operands"]["operand_1"], op["operands"]["operand_2"]
    path: list[str] = []
    while True:
        if isinstance(right, str):
            path.append(right)
            break
        inner = flatten_access(right)
        if inner is None or not isinstance(inner.base, str):
            return None
        path.append(inner.base)
        path.extend(inner.path)
        break
    return PropertyRef(base=left, path=tuple(path))


def ref(node: Any) -> tuple[Any, tuple[str, ...]] | None:
    """``a.b.c`` as ``("a", ("b", "c"))``; ``None`` when ``node`` is not a property access."""
    access = flatten_access(node)
    return None if access is None else (access.base, access.path)


def call_name(node: Any) -> str | None:
    """The name of the function ``node`` calls, or ``None``."""
    call = as_call(node)
    return None if call is None else call.name


def as_call(node: Any) -> Call | None:
    """The function call ``node`` is, or ``None``."""
    if isinstance(node, dict) and "function" in node:
        fn = node["function"]
        return Call(name=fn["type"], args=fn.get("parameters") or {})
    return None


def walk(node: Any) -> Iterator[Any]:
    """Every node of a pycep tree, depth first (dicts, lists and leaves)."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


@dataclass
class Template:
    """One parsed ``.bicep`` file."""

    path: Path
    tree: dict[str, Any]

    @property
    def rel(self) -> str:
        return self.path.relative_to(INFRA_DIR).as_posix()

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def params(self) -> dict[str, Any]:
        return self.tree.get("parameters") or {}

    @property
    def variables(self) -> dict[str, Any]:
        return self.tree.get("variables") or {}

    @property
    def resources(self) -> dict[str, Any]:
        return self.tree.get("resources") or {}

    @property
    def modules(self) -> dict[str, Any]:
        return self.tree.get("modules") or {}

    @property
    def outputs(self) -> dict[str, Any]:
        return self.tree.get("outputs") or {}

    @property
    def target_scope(self) -> str:
        return (self.tree.get("globals") or {}).get("scope", {}).get("value", "resourceGroup")

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: res
            for name, res in self.resources.items()
            if res["type"].lower() == resource_type.lower()
        }

    def config(self, symbol: str) -> dict[str, Any]:
        """The body (``config``) of a resource or module by its symbolic name."""
        if symbol in self.resources:
            return self.resources[symbol]["config"]
        return self.modules[symbol]["config"]

    def resolve(self, node: Any) -> Any:
        """Follow variable references until a value that is not a variable name."""
        seen: set[str] = set()
        while isinstance(node, str) and node in self.variables and node not in seen:
            seen.add(node)
            node = self.variables[node]["value"]
        access = flatten_access(node)
        if access is not None and isinstance(access.base, str) and access.base in self.variables:
            base = self.resolve(access.base)
            for key in access.path:
                if not isinstance(base, dict) or key not in base:
                    return node
                base = self.resolve(base[key])
            return base
        return node

    def param_default(self, name: str) -> Any:
        return self.params[name].get("default")

    def decorator(self, param: str, kind: str) -> Any:
        for deco in self.params[param].get("decorators") or []:
            if deco.get("type") == kind:
                return deco.get("argument", deco)
        return None


# ------------------------------------------------------------------ tiny Bicep evaluator


class UnsupportedExpressionError(Exception):
    """An expression outside the small subset :func:`evaluate` understands."""


def evaluate(template: Template, node: Any, params: dict[str, Any]) -> Any:
    """Evaluate a pycep expression of ``template`` with the given parameter values.

    Supports what the templates use to derive values from parameters: literals, parameter and
    variable references, ``split``, ``last``, ``replace``, ``empty``, indexing and ``?:``;
    ``resourceId(...)`` comes back as text.
    """
    if isinstance(node, bool | int) or node is None:
        return node
    if isinstance(node, str):
        if node in template.variables:
            return evaluate(template, template.variables[node]["value"], params)
        if node in template.params:
            if node in params:
                return params[node]
            return evaluate(template, template.param_default(node), params)
        return node
    if isinstance(node, list):
        return [evaluate(template, item, params) for item in node]
    call = as_call(node)
    if call is not None:
        args = [
            evaluate(template, value, params) for value in call.args.values() if value is not None
        ]
        if call.name == "split":
            return args[0].split(args[1])
        if call.name == "last":
            return args[0][-1]
        if call.name == "replace":
            return args[0].replace(args[1], args[2])
        if call.name == "empty":
            return len(args[0]) == 0
        if call.name == "resource_id":
            # Symbolic: the caller compares with the text it expects.
            return f"resourceId({', '.join(str(arg) for arg in call.args.values() if arg)})"
        raise UnsupportedExpressionError(call.name)
    if isinstance(node, dict) and "operator" in node:
        op = node["operator"]
        operands = op["operands"]
        if op["type"] == "index_accessor":
            return evaluate(template, operands["operand_1"], params)[
                evaluate(template, operands["operand_2"], params)
            ]
        if op["type"] == "conditional":
            condition = evaluate(template, operands["condition"], params)
            branch = "true_value" if condition else "false_value"
            return evaluate(template, operands[branch], params)
        raise UnsupportedExpressionError(op["type"])
    if isinstance(node, dict):
        return {key: evaluate(template, value, params) for key, value in node.items()}
    raise UnsupportedExpressionError(repr(node))


# -------------------------------------------------------------- function_app.py registry


@dataclass(frozen=True)
class HttpFunction:
    """An HTTP-triggered function registered in function_app.py."""

    function_name: str
    route: str
    methods: tuple[str, ...]
    auth_level: str


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _auth_level_name(node: ast.expr | None) -> str | None:
    """``func.AuthLevel.FUNCTION`` -> ``FUNCTION``; ``"function"`` -> ``FUNCTION``."""
    if isinstance(node, ast.Attribute):
        return node.attr.upper()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.upper()
    return None


def http_functions(source: str) -> list[HttpFunction]:
    """The HTTP functions of a v2-programming-model function_app.py, found with ``ast``.

    Reads ``@<app>.route(route=..., methods=..., auth_level=...)`` (the route defaults to the
    function name, the auth level to ``FunctionApp(http_auth_level=...)``, itself defaulting
    to FUNCTION) and ``@<app>.function_name(name=...)`` (defaulting to the ``def`` name).
    """
    tree = ast.parse(source)
    app_auth_level = "FUNCTION"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            called = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if called in {"FunctionApp", "AsgiFunctionApp", "WsgiFunctionApp"}:
                level = _auth_level_name(_keyword(node, "http_auth_level"))
                if level:
                    app_auth_level = level
    found: list[HttpFunction] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        name = node.name
        route_call: ast.Call | None = None
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)):
                continue
            if deco.func.attr == "function_name":
                value = _keyword(deco, "name") or (deco.args[0] if deco.args else None)
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    name = value.value
            elif deco.func.attr == "route":
                route_call = deco
        if route_call is None:
            continue
        route_node = _keyword(route_call, "route") or (
            route_call.args[0] if route_call.args else None
        )
        route = route_node.value if isinstance(route_node, ast.Constant) else name
        methods_node = _keyword(route_call, "methods")
        methods: tuple[str, ...] = ()
        if isinstance(methods_node, ast.List | ast.Tuple):
            for element in methods_node.elts:
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    methods += (element.value.upper(),)
                elif isinstance(element, ast.Attribute):
                    methods += (element.attr.upper(),)
        level = _auth_level_name(_keyword(route_call, "auth_level")) or app_auth_level
        found.append(HttpFunction(name, str(route).strip("/"), methods, level))
    return found


def route_prefix(repo_root: Path) -> str:
    """``extensions.http.routePrefix`` of host.json (``api`` when absent)."""
    host_json = repo_root / "host.json"
    if not host_json.is_file():
        return "api"
    host = json.loads(host_json.read_text(encoding="utf-8"))
    prefix = host.get("extensions", {}).get("http", {}).get("routePrefix", "api")
    return str(prefix).strip("/")


def module_using(main: Template, rel_path: str) -> tuple[str, dict[str, Any]]:
    """The (symbol, config) of the single module of main.bicep that deploys ``rel_path``."""
    hits = [
        (symbol, module["config"])
        for symbol, module in main.modules.items()
        if module["detail"]["path"].lstrip("./") == rel_path
    ]
    assert len(hits) == 1, f"main.bicep deploys {rel_path} {len(hits)} times"
    return hits[0]


def interpolation_refs(text: str) -> list[str]:
    """The ``${...}`` expressions of a Bicep interpolated string."""
    return re.findall(r"\$\{([^}]*)\}", text)


def unquote(key: str) -> str:
    """pycep keeps the quotes of quoted object keys: ``'$connections'`` -> ``$connections``."""
    if len(key) >= 2 and key[0] == key[-1] == "'":
        return key[1:-1]
    return key


def unquoted_keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {unquote(key): value for key, value in obj.items()}
