"""docs/notebook.ipynb runs end to end in a Jupyter kernel (nbclient), so it cannot rot, and
shows what it promises: the comment, the findings frames and the plot."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebook.ipynb"


@pytest.fixture(scope="module")
def source() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def test_the_notebook_is_valid_and_kept_without_outputs(source: nbformat.NotebookNode) -> None:
    nbformat.validate(source)
    code = [cell for cell in source.cells if cell.cell_type == "code"]
    assert code
    # Outputs are made by running it: none are kept that could go stale.
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_the_notebook_runs_end_to_end(source: nbformat.NotebookNode, tmp_path: Path) -> None:
    notebook = nbformat.from_dict(source)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error

    results = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        for output in cell.outputs:
            for mime, data in output.get("data", {}).items():
                results.setdefault(cell.source.splitlines()[-1], {})[mime] = data

    # The report shown as a cell's value is the incident comment.
    comment = results["report"]["text/html"]
    assert "adele.vance@contoso.com" in comment and "Drill-down KQL" in comment
    # The findings and the tables as DataFrames (pandas' HTML tables).
    frames = [r["text/html"] for key, r in results.items() if key != "report" and "text/html" in r]
    assert len(frames) == 3 and all("<table" in html for html in frames)
    findings, by_table, tables = frames
    assert "adele.vance@contoso.com" in findings and "OfficeActivity" in findings
    assert "top_score" in by_table and "CommonSecurityLog" in by_table
    assert "Syslog" in tables and "no_match" in tables
    # The plot of the top finding, once, as a PNG.
    (plot,) = [r for r in results.values() if "image/png" in r]
    assert len(plot["image/png"]) > 10_000
    # The drill-down query printed last.
    printed = [o.text for c in notebook.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "stream"]  # fmt: skip
    assert printed and "| take 1000" in printed[-1]
