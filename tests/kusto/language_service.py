"""Run Microsoft's Kusto language service (``@kusto/language-service-next``) from pytest.

One Node.js process serves the whole test session (``kql_check.js``, JSON lines over a
pipe): loading the service costs about a second, analysing a query a few milliseconds, so
both the query-shape gate and the hypothesis property tests can afford it.

The database the queries bind against is built from ``tests/fixtures/schemas/*.json`` (the
top-level files: real Sentinel table schemas) plus ``Usage`` and the test tables a caller
adds.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "kql_check.js"
PACKAGE = HERE / "node_modules" / "@kusto" / "language-service-next" / "package.json"
PINNED_VERSION = "12.4.1"

#: Columns of the Log Analytics ``Usage`` table (Azure Monitor table reference).
USAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("AvgLatencyInSeconds", "real"),
    ("BatchesCapped", "long"),
    ("BatchesOutsideSla", "long"),
    ("BatchesWithinSla", "long"),
    ("Computer", "string"),
    ("DataType", "string"),
    ("EndTime", "datetime"),
    ("IsBillable", "bool"),
    ("LinkedMeterId", "string"),
    ("LinkedResourceUri", "string"),
    ("MeterId", "string"),
    ("Quantity", "real"),
    ("QuantityUnit", "string"),
    ("ResourceUri", "string"),
    ("Solution", "string"),
    ("SourceSystem", "string"),
    ("StartTime", "datetime"),
    ("TenantId", "string"),
    ("TimeGenerated", "datetime"),
    ("TotalBatches", "long"),
    ("Type", "string"),
)


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    code: str
    message: str
    start: int
    end: int


@dataclass(frozen=True)
class Analysis:
    text: str
    diagnostics: tuple[Diagnostic, ...]
    literals: tuple[str, ...]
    shape: str
    columns: tuple[str, ...] | None

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "Error")

    def explain(self) -> str:
        lines = [self.text, "---"]
        for d in self.errors:
            lines.append(
                f"{d.code} {d.message} at {d.start}..{d.end}: {self.text[d.start : d.end]!r}"
            )
        return "\n".join(lines)


def schema_tables(schema_dir: Path) -> list[dict[str, Any]]:
    """Table specs from the top-level schema files (``{"Name", "Properties": [...]}``)."""
    tables = []
    for path in sorted(schema_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        columns = [
            {"name": p.get("Name", p.get("name")), "type": p.get("Type", p.get("type"))}
            for p in data.get("Properties", data.get("properties", []))
        ]
        tables.append({"name": data.get("Name", data.get("name", path.stem)), "columns": columns})
    return tables


def usage_table() -> dict[str, Any]:
    return {"name": "Usage", "columns": [{"name": n, "type": t} for n, t in USAGE_COLUMNS]}


class LanguageService:
    """A running ``kql_check.js``; thread-safe, one request at a time."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed for the Kusto language-service tests")
        if not PACKAGE.is_file():
            raise RuntimeError(
                "@kusto/language-service-next is not installed: run "
                "`npm ci --prefix tests/kusto` (the CI script does)"
            )
        self.version = json.loads(PACKAGE.read_text(encoding="utf-8"))["version"]
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.analysed = 0

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the language-service process ended")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def set_tables(self, tables: Iterable[dict[str, Any]]) -> int:
        answer = self._call({"op": "schema", "database": "workspace", "tables": list(tables)})
        return int(answer["tables"])

    def analyse(self, text: str) -> Analysis:
        answer = self._call({"op": "analyse", "id": "q", "text": text})
        self.analysed += 1
        columns = answer.get("columns")
        return Analysis(
            text=text,
            diagnostics=tuple(Diagnostic(**d) for d in answer["diagnostics"]),
            literals=tuple(answer["literals"]),
            shape=answer["shape"],
            columns=tuple(columns) if columns is not None else None,
        )

    def analyse_all(self, texts: Sequence[str]) -> list[Analysis]:
        return [self.analyse(text) for text in texts]

    def keywords(self) -> list[str]:
        return list(self._call({"op": "keywords"})["keywords"])

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


_service: LanguageService | None = None
_service_lock = threading.Lock()


def shared_service() -> LanguageService:
    """The session's language-service process (started on first use, closed at exit)."""
    global _service
    with _service_lock:
        if _service is None:
            _service = LanguageService()
            atexit.register(_service.close)
        return _service
