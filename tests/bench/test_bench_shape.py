"""The benchmark's own shape: small modules and functions, and nothing of it in the package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_no_bench_module_or_function_over_the_size_limit() -> None:
    big: dict[str, int] = {}
    for path in _sources("bench"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(ROOT))
        if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
            big[name] = lines
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if (lines := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
                    big[f"{name}:{node.name}"] = lines
    assert big == {}


def test_the_package_never_imports_the_benchmark() -> None:
    offenders = []
    for path in _sources("lookup"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "bench"
            ]
    assert offenders == []


def test_benchmark_generators_do_not_ship() -> None:
    shipped = {
        node.name
        for path in _sources("lookup/demo")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    bench_only = {
        "build_detection_workspace",
        "DetectionWorkspace",
        "grow_workspace",
        "add_custom_tables",
        "company_entities",
        "demo_incident_entities",
    }
    assert shipped & bench_only == set()
