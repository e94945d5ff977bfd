"""The repository stands on its own: no file points at a reference folder outside it.

Tests, benchmark, docs and code once read a ``shared`` folder that sat beside the checkout
and that a clone does not have. What they need now lives in ``tests/fixtures`` and ``docs``;
this guard fails, naming file and line, if a reference to the old folder comes back.
The patterns are built from pieces so that this file does not match itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

_FOLDER = "sha" + "red"
#: A parent-relative path to the folder, its former sub-folders, or its override variable.
OUTSIDE_REFERENCE = re.compile(
    "|".join(
        [
            re.escape("../" + _FOLDER),
            re.escape(_FOLDER) + r"/(?:design|reference|schemas|sample-data)\b",
            "ANOMALY_LOOKUP_" + _FOLDER.upper() + "_DIR",
        ]
    )
)


def outside_references(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of every line of ``text`` that points outside the repository."""
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE_REFERENCE.search(line)
    ]


def repository_files() -> list[Path]:
    """Tracked files plus untracked ones that are not ignored, relative to the root."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    ).stdout
    names = sorted({name for name in listed.decode("utf-8").split("\0") if name})
    return [Path(name) for name in names]


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary file (a NUL byte) or a deleted one."""
    try:
        data = (REPO_ROOT / path).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def test_no_file_points_outside_the_repository() -> None:
    this = Path(__file__).resolve().relative_to(REPO_ROOT)
    files = repository_files()
    assert this in files
    found = []
    for path in files:
        if path == this:
            continue
        text = _text(path)
        if text is None:
            continue
        found += [f"{path}:{number}: {line}" for number, line in outside_references(text)]
    assert not found, "references to a folder outside the repository:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "SAMPLE_DATA = ROOT / '..' / '" + _FOLDER + "/sample-data'",
        "see ``../" + _FOLDER + "/schemas/*.json``",
        "(`" + _FOLDER + "/reference/kusto-series-anomalies.md`)",
        "the design document (`" + _FOLDER + "/design.md`)",
        "schemas in " + _FOLDER + "/schemas/README.md",
        'os.environ.get("ANOMALY_LOOKUP_' + _FOLDER.upper() + '_DIR")',
    ],
)
def test_the_guard_reports_a_reference_with_its_line(line: str) -> None:
    text = "first line\n" + line + "\nlast line\n"
    assert outside_references(text) == [(2, line)]


@pytest.mark.parametrize(
    "line",
    [
        "from kusto.language_service import " + _FOLDER + "_service",
        "Fixtures " + _FOLDER + " by every test module.",
        "briandelmsft/STAT-Function `" + _FOLDER + "/rest.py`",
        "docs/reference/kusto-series-anomalies.md and tests/fixtures/schemas/",
    ],
)
def test_the_guard_leaves_other_uses_of_the_word_alone(line: str) -> None:
    assert outside_references(line) == []
