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
        if "${" in node:
            # An interpolated string: only ``${name}`` of a parameter or variable is resolved.
            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in template.params or name in template.variables:
                    return str(evaluate(template, name, params))
                raise UnsupportedExpressionError(match.group(0))

            return re.sub(r"\$\{\s*([A-Za-z_]\w*)\s*\}", substitute, node)
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


# ------------------------------------------------------- where a deployment writes to


@dataclass(frozen=True)
class Placement:
    """One module or resource of a deployment and the resource group it is written into.

    ``resource_group`` is ``None`` for what lands at subscription scope. ``created`` is true
    for a ``Microsoft.Resources/resourceGroups`` resource the deployment itself declares.
    ``params`` are the parameters of the entry template the scope expression depends on.
    """

    template: str
    symbol: str
    kind: str  # "module", "resource" or "resourceGroup"
    resource_group: str | None
    params: frozenset[str]
    created: bool = False


def referenced_params(
    template: Template, node: Any, _seen: frozenset[str] = frozenset()
) -> set[str]:
    """Parameters of ``template`` an expression depends on, through its variables."""
    found: set[str] = set()
    for leaf in walk(node):
        if not isinstance(leaf, str):
            continue
        names = [leaf, *re.findall(r"\$\{\s*([A-Za-z_]\w*)", leaf)]
        for name in names:
            if name in template.params:
                found.add(name)
            elif name in template.variables and name not in _seen:
                found |= referenced_params(
                    template, template.variables[name]["value"], _seen | {name}
                )
    return found


def deployment_placements(
    templates: dict[str, Template],
    entry: str,
    params: dict[str, Any],
) -> list[Placement]:
    """Every module and deployed resource reachable from ``entry``, with its resource group.

    This is what ARM records as the deployment's outputResources (and its nested
    deployments), the list from which ``azd down`` derives the resource groups it deletes.
    Module scopes are read from the Bicep: no ``scope`` inherits the parent's, a symbol names
    a ``Microsoft.Resources/resourceGroups`` resource, ``resourceGroup(...)`` is evaluated
    with ``params`` (the entry template's). ``existing`` resources are references, not
    deployments, and are left out.
    """
    placements: list[Placement] = []

    def visit(rel: str, resource_group: str | None, scope_params: frozenset[str]) -> None:
        template = templates[rel]
        local_params = params if rel == entry else {}
        for symbol, resource in template.resources.items():
            if resource.get("existing"):
                continue
            config = resource["config"]
            if resource["type"].lower() == "microsoft.resources/resourcegroups":
                name = evaluate(template, config["name"], local_params)
                placements.append(
                    Placement(
                        rel,
                        symbol,
                        "resourceGroup",
                        name,
                        frozenset(referenced_params(template, config["name"])) | scope_params,
                        created=True,
                    )
                )
                continue
            placements.append(Placement(rel, symbol, "resource", resource_group, scope_params))
        for symbol, module in template.modules.items():
            config = module["config"]
            child_group, child_params = resource_group, scope_params
            scope = config.get("scope")
            if scope is not None:
                child_params = scope_params | referenced_params(template, scope)
                call = as_call(scope)
                if isinstance(scope, str) and scope in template.resources:
                    target = template.resources[scope]
                    assert target["type"].lower() == "microsoft.resources/resourcegroups", (
                        f"{rel}:{symbol} is scoped to a {target['type']}"
                    )
                    child_group = evaluate(template, target["config"]["name"], local_params)
                    child_params |= referenced_params(template, target["config"]["name"])
                elif call is not None and call.name == "resource_group":
                    name = call.args.get("resource_group_name")
                    child_group = evaluate(template, name, local_params)
                elif call is not None and call.name == "subscription":
                    child_group = None
                else:
                    raise AssertionError(f"{rel}:{symbol}: scope {scope!r} is not understood")
            target_rel = (template.path.parent / module["detail"]["path"]).resolve()
            child_rel = target_rel.relative_to(INFRA_DIR).as_posix()
            placements.append(Placement(rel, symbol, "module", child_group, child_params))
            visit(child_rel, child_group, frozenset(child_params))

    root = templates[entry]
    assert root.target_scope in {"subscription", "resourceGroup"}, root.target_scope
    visit(entry, None if root.target_scope == "subscription" else "<target group>", frozenset())
    return placements
