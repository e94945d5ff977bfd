"""The project's shape: dependency files agree, no import cycle, small modules, lean deploys.

These guard the architecture the README describes, so it cannot drift unnoticed.
"""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lookup"

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

#: Report methods for notebooks: each imports lookup.notebook (pandas, matplotlib: the
#: [notebook] extra) when called. The imports inside them are not followed: the function
#: app never calls them (test_the_function_app_never_calls_the_notebook_methods), and an
#: import that runs on call, once every module is loaded, makes no import cycle.
NOTEBOOK_METHODS = {
    "lookup.report": frozenset({"to_dataframe", "tables_dataframe", "_repr_html_"}),
}


# --- dependencies -----------------------------------------------------------------------


def _requirements(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text:
            req = Requirement(text)
            out[req.name.lower()] = str(req.specifier)
    return out


def test_requirements_txt_is_pyproject_runtime_plus_azure_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _requirements([*project["dependencies"], *project["optional-dependencies"]["azure"]])
    deployed = _requirements((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert deployed == declared


def test_azure_functions_has_cloud_event() -> None:
    """The Event Grid trigger takes ``func.CloudEvent``, new in azure-functions 1.25."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (spec,) = [
        Requirement(r)
        for r in project["optional-dependencies"]["azure"]
        if r.startswith("azure-functions")
    ]
    assert not spec.specifier.contains("1.24.0")
    assert spec.specifier.contains("1.25.0")


def test_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").is_file()


# --- imports ----------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _walk(tree: ast.AST, skip: frozenset[str]) -> Iterator[ast.AST]:
    """``ast.walk`` without the bodies of the functions named in ``skip``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef) and node.name in skip:
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _imports(path: Path) -> set[str]:
    """Modules of ``lookup`` (and third-party tops) that ``path`` imports, lazily or not
    (except inside :data:`NOTEBOOK_METHODS`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if path.name == "__init__.py":
        package = _module_name(path)
    else:
        package = "" if path.parent == ROOT else _module_name(path.parent)
    found: set[str] = set()
    skip = NOTEBOOK_METHODS.get(_module_name(path), frozenset())
    for node in _walk(tree, skip):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path) if m in modules and m != name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in sorted(graph.get(node, ())):
            # A package's __init__ re-exporting its own modules is not a cycle.
            if node.startswith(child + ".") or child.startswith(node + "."):
                continue
            if state.get(child) == 1:
                return [*stack[stack.index(child) :], child]
            if child not in state and (cycle := visit(child)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_in_the_package() -> None:
    assert _find_cycle(_graph()) is None


def test_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def _path_of(module: str) -> Path | None:
    base = ROOT / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _reachable(start: Path) -> set[str]:
    """Package modules that importing ``start`` runs (parent packages included)."""
    graph = _graph()
    seen: set[str] = set()
    todo = [m for m in _imports(start) if m in graph]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(graph[name])
    return seen


def test_function_app_never_imports_the_demo_or_duckdb() -> None:
    reachable = _reachable(ROOT / "function_app.py")
    assert any(m.startswith("lookup.functionapp") for m in reachable)
    assert sorted(m for m in reachable if m.startswith("lookup.demo")) == []
    third_party = set()
    for name in reachable:
        path = _path_of(name)
        assert path is not None, name
        third_party |= {m.split(".")[0] for m in _imports(path)}
    assert "duckdb" not in third_party
    assert "pandas" not in third_party


def test_the_function_app_never_calls_the_notebook_methods() -> None:
    reachable = _reachable(ROOT / "function_app.py")
    assert sorted(m for m in reachable if m.startswith("lookup.notebook")) == []
    methods = frozenset().union(*NOTEBOOK_METHODS.values())
    paths = [ROOT / "function_app.py", *(p for m in reachable if (p := _path_of(m)))]
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        assert used & methods == set(), path


# --- size -------------------------------------------------------------------------------


def test_no_module_over_the_size_limit() -> None:
    big = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}


def _functions(path: Path) -> Iterator[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            yield f"{path.relative_to(ROOT)}:{node.name}", node.end_lineno - node.lineno + 1


def test_no_function_over_the_size_limit() -> None:
    long = {
        name: lines
        for path in [*PACKAGE.rglob("*.py"), ROOT / "function_app.py"]
        for name, lines in _functions(path)
        if lines > MAX_FUNCTION_LINES
    }
    assert long == {}


# --- what deploys -----------------------------------------------------------------------


def _funcignore() -> list[str]:
    lines = (ROOT / ".funcignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        bare = pattern.rstrip("/")
        if relative == bare or relative.startswith(bare + "/"):
            return True
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(Path(relative).name, pattern):
            return True
    return False


@pytest.mark.parametrize(
    "path",
    ["lookup/demo/story.py", "lookup/demo/__init__.py", "bench/harness.py", "tests/conftest.py",
     "docs/design.md", "infra/main.bicep", "scripts/checkov.sh"],
)  # fmt: skip
def test_funcignore_keeps_what_azure_does_not_run_out_of_the_package(path: str) -> None:
    assert _ignored(path, _funcignore())


def test_funcignore_ships_what_the_function_imports() -> None:
    patterns = _funcignore()
    needed = ["function_app.py", "host.json", "requirements.txt"]
    needed += [
        str(path.relative_to(ROOT))
        for name in _reachable(ROOT / "function_app.py")
        if (path := _path_of(name)) is not None
    ]
    needed += [str(p.relative_to(ROOT)) for p in (PACKAGE / "schemas").glob("*.json")]
    assert [path for path in needed if _ignored(path, patterns)] == []
