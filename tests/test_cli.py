"""The ``anomaly-lookup`` command line: formats, exit codes, one-line errors, the demo."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lookup.cli import ProgressBar, main
from lookup.demo import build_demo_workspace


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    scenario = build_demo_workspace(root / "ws", total_rows=40_000)
    incident = root / "incident.json"
    incident.write_text(json.dumps(scenario.incident), encoding="utf-8")
    return incident, root / "ws"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_is_clean_json(
    capsys: pytest.CaptureFixture[str], demo_files: tuple[Path, Path]
) -> None:
    incident, ws = demo_files
    code, out, err = run(
        capsys, "run", "--incident", str(incident), "--workspace", str(ws), "--format", "json"
    )
    assert code == 0
    report = json.loads(out)
    assert report["incident"]["number"] == 4711
    assert report["anomalies"][0]["rank"] == 1
    assert "[" not in err  # no progress bar when stderr is not a terminal


@pytest.mark.parametrize(("fmt", "marker"), [("markdown", "# Anomaly lookup"), ("html", "<table>")])
def test_other_formats_to_a_file(
    capsys: pytest.CaptureFixture[str],
    demo_files: tuple[Path, Path],
    tmp_path: Path,
    fmt: str,
    marker: str,
) -> None:
    incident, ws = demo_files
    target = tmp_path / f"out.{fmt}"
    code, out, _ = run(
        capsys,
        "run",
        "--incident",
        str(incident),
        "--workspace",
        str(ws),
        "--format",
        fmt,
        "--output",
        str(target),
    )
    assert (code, out) == (0, "")
    assert marker in target.read_text(encoding="utf-8")


def test_tuning_options_reach_the_report(
    capsys: pytest.CaptureFixture[str], demo_files: tuple[Path, Path]
) -> None:
    incident, ws = demo_files
    code, out, _ = run(
        capsys,
        "run",
        "--incident",
        str(incident),
        "--workspace",
        str(ws),
        "--format",
        "json",
        "--tables",
        "SigninLogs",
        "--step",
        "1d",
        "--lookback-days",
        "10",
        "--threshold",
        "3",
        "--at",
        "2026-11-19T15:00:00Z",
    )
    assert code == 0
    report = json.loads(out)
    assert [t["table"] for t in report["tables"]] == ["SigninLogs"]
    assert report["window"]["bins"] == 11
    assert report["incident"]["alert_time"] == "2026-11-19T15:00:00Z"
    assert report["settings"]["threshold"] == "3.0"
    assert all(a["score"] > 3 for a in report["anomalies"])


def test_malformed_incident_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], demo_files: tuple[Path, Path], tmp_path: Path
) -> None:
    _, ws = demo_files
    bad = tmp_path / "bad.json"
    bad.write_text('{"object": {"properties": []}}', encoding="utf-8")
    code, out, err = run(capsys, "run", "--incident", str(bad), "--workspace", str(ws))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"anomaly-lookup: error: {bad}: object.properties")


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "not valid JSON"), (None, "cannot read incident file")],
)
def test_unreadable_incident_file(
    capsys: pytest.CaptureFixture[str],
    demo_files: tuple[Path, Path],
    tmp_path: Path,
    content: str | None,
    message: str,
) -> None:
    _, ws = demo_files
    path = tmp_path / "incident.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "run", "--incident", str(path), "--workspace", str(ws))
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_missing_workspace_and_bad_settings(
    capsys: pytest.CaptureFixture[str], demo_files: tuple[Path, Path], tmp_path: Path
) -> None:
    incident, _ = demo_files
    code, _, err = run(
        capsys, "run", "--incident", str(incident), "--workspace", str(tmp_path / "nope")
    )
    assert code == 2
    assert "workspace directory not found" in err
    code, _, err = run(
        capsys,
        "run",
        "--incident",
        str(incident),
        "--workspace",
        str(tmp_path),
        "--lookback-days",
        "1",
    )
    assert code == 2
    assert "ANOMALY_LOOKUP_LOOKBACK_DAYS: 1 is outside 3..90" in err
    code, _, err = run(
        capsys,
        "run",
        "--incident",
        str(incident),
        "--workspace",
        str(tmp_path),
        "--at",
        "yesterday",
    )
    assert code == 2
    assert "not an ISO 8601 time" in err


def test_demo_command_writes_everything(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_dir = tmp_path / "demo"
    code, out, err = run(
        capsys, "demo", "--output-dir", str(out_dir), "--rows", "30000", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["anomalies"]
    for name in ("incident.json", "comment.html", "report.json", "report.md"):
        assert (out_dir / name).is_file()
    # Small workspaces push IP/user columns over the 1% ratio of the categorical test, so
    # the count of planted anomalies found varies with --rows; the traps never show.
    assert re.search(r"Demo: \d+ anomalies reported; \d+ of 13 planted anomalies found", err)
    assert "0 of 6 traps reported" in err


def test_progress_bar_draws_only_when_enabled() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "scanning", enabled=True)
    bar.update(1, 4, "SigninLogs")
    bar.close()
    assert "[######..................] 1/4" in stream.getvalue()
    assert "SigninLogs" in stream.getvalue()
    quiet = io.StringIO()
    silent = ProgressBar(quiet, "scanning")  # StringIO is not a terminal
    silent.update(1, 4)
    silent.close()
    assert quiet.getvalue() == ""


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "anomaly-lookup"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("anomaly-lookup ")


def test_show_queries_prints_the_sql_on_stderr(
    capsys: pytest.CaptureFixture[str], demo_files: tuple[Path, Path]
) -> None:
    incident, ws = demo_files
    code, out, err = run(
        capsys,
        "run",
        "--incident",
        str(incident),
        "--workspace",
        str(ws),
        "--format",
        "json",
        "--show-queries",
        "--tables",
        "SigninLogs",
    )
    assert code == 0
    json.loads(out)  # stdout stays a clean report
    assert err.count("-- duckdb\n") == 2  # one profile and one counts query
    assert "approx_count_distinct" in err


def test_workspace_and_log_analytics_are_exclusive(
    capsys: pytest.CaptureFixture[str], demo_files: tuple[Path, Path]
) -> None:
    incident, ws = demo_files
    code, _, err = run(
        capsys,
        "run",
        "--incident",
        str(incident),
        "--workspace",
        str(ws),
        "--log-analytics",
        "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f",
    )
    assert code == 2
    assert "not allowed with argument" in err


# -- hostile input and output: one line and exit 2, never a traceback ------------------------


def _incident(demo_files: tuple[Path, Path]) -> dict[str, object]:
    document = json.loads(demo_files[0].read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _hostile_files(incident: dict[str, object]) -> list[tuple[str, bytes, str]]:
    text = json.dumps(incident)
    number = str(incident["object"]["properties"]["incidentNumber"])  # type: ignore[index]
    return [
        ("deeply nested", b"[" * 10_000 + b"]" * 10_000, "nested more than 64 levels"),
        ("nested object", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "nested more than 64 levels"),
        ("Latin-1", text.replace('"title": "', '"title": "Caf\u00e9 ').encode("latin-1"), "UTF-8"),
        ("UTF-16", text.encode("utf-16"), "UTF-8"),
        (
            "5,000-digit number",
            text.replace(
                f'"incidentNumber": {number}', f'"incidentNumber": {"9" * 5_000}'
            ).encode(),
            "4300 digits",
        ),
        ("lone surrogate", text.replace('"title": "', '"title": "\\ud800').encode(), "surrogate"),
    ]


@pytest.mark.parametrize("case", range(6))
@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_a_hostile_incident_file_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    demo_files: tuple[Path, Path],
    tmp_path: Path,
    case: int,
    fmt: str,
) -> None:
    name, data, message = _hostile_files(_incident(demo_files))[case]
    path = tmp_path / "incident.json"
    path.write_bytes(data)
    code, out, err = run(
        capsys, "run", "--incident", str(path), "--workspace", str(demo_files[1]), "--format", fmt
    )
    assert (code, out) == (2, ""), name
    assert err.startswith(f"anomaly-lookup: error: {path}: "), err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--at", "0001-01-01T00:00:00Z"], "--at: the alert time"),
        (["--at", "0001-01-01T00:00:00+01:00"], "not a valid UTC time"),
        (["--at", "9999-12-31T23:59:59Z"], "--at: the alert time"),
    ],
)
def test_an_alert_time_without_a_window_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    demo_files: tuple[Path, Path],
    argv: list[str],
    message: str,
) -> None:
    incident, ws = demo_files
    code, out, err = run(capsys, "run", "--incident", str(incident), "--workspace", str(ws), *argv)
    assert (code, out) == (2, "")
    # argparse's own errors (a time that does not exist) come after its usage lines.
    assert "Traceback" not in err and message in err.rstrip().splitlines()[-1], err


def test_an_alert_time_of_year_one_in_the_file_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], demo_files: tuple[Path, Path], tmp_path: Path
) -> None:
    text = json.dumps(_incident(demo_files))
    text = re.sub(
        r'"(endTimeUtc|lastActivityTimeUtc|createdTimeUtc)": "[^"]*"',
        r'"\1": "0001-01-01T00:00:00Z"',
        text,
    )
    path = tmp_path / "old.json"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "run", "--incident", str(path), "--workspace", str(demo_files[1]))
    assert code == 2 and err.count("\n") == 1
    assert "outside the supported dates" in err


@pytest.mark.parametrize(
    "target",
    ["directory", "under a file", "/dev/full"],
)
def test_an_unwritable_output_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    demo_files: tuple[Path, Path],
    tmp_path: Path,
    target: str,
) -> None:
    # Works as root too: a directory, a path under a regular file, a device that is full.
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    output = {
        "directory": tmp_path,
        "under a file": tmp_path / "file.txt" / "report.json",
        "/dev/full": Path("/dev/full"),
    }[target]
    if target == "/dev/full" and not output.exists():
        pytest.skip("no /dev/full here")
    incident, ws = demo_files
    code, out, err = run(
        capsys, "run", "--incident", str(incident), "--workspace", str(ws), "--output", str(output)
    )
    assert (code, out) == (2, "")
    assert err.startswith("anomaly-lookup: error: --output: ") and err.count("\n") == 1, err


def test_a_report_holding_a_lone_surrogate_is_still_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Log data can hold one (Log Analytics answers JSON); the JSON report escapes it.
    from lookup.cli import _emit

    _emit(json.dumps({"value": "\ud800"}, ensure_ascii=False), None)
    assert json.loads(capsys.readouterr().out) == {"value": "\ud800"}
    _emit(json.dumps({"value": "\ud800"}, ensure_ascii=False), tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == {"value": "\ud800"}
