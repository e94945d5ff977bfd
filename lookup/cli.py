"""The ``anomaly-lookup`` command line.

``anomaly-lookup run --incident FILE --workspace DIR`` runs the whole lookup against a local
workspace directory and prints the report; ``anomaly-lookup demo`` builds a realistic demo
workspace and incident and runs it end to end. Exit code 0 on success (also when nothing
is anomalous), 2 with a one-line error naming the bad input (an unreadable, malformed,
too deeply nested or not UTF-8 file, an alert time without a representable window, an
output that cannot be written), 1 on an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from lookup import __version__
from lookup.backends.base import Backend
from lookup.errors import AnomalyLookupError, PayloadError, SettingsError
from lookup.models import Incident
from lookup.settings import Settings
from lookup.timefmt import parse_timestamp
from lookup.untrusted import check_alert_time, load_json, printable

FORMATS = ("markdown", "json", "html")
EXIT_OK, EXIT_BAD_INPUT = 0, 2  # an unexpected error exits 1 with Python's traceback


class ProgressBar:
    """A one-line progress bar on a terminal; silent when the stream is not a TTY."""

    def __init__(self, stream: TextIO, label: str, *, enabled: bool | None = None) -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._drawn = False

    def update(self, done: int, total: int, note: str | None = None) -> None:
        """Redraw the bar with ``done`` of ``total`` steps finished."""
        if not self.enabled:
            return
        width = 24
        filled = int(width * done / total) if total else width
        elapsed = time.monotonic() - self.started
        tail = f" {note}" if note else ""
        line = (
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done}/{total} {elapsed:5.1f}s{tail}"
        )
        self.stream.write(line[:120].ljust(60))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def _parse_time(text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anomaly-lookup",
        description="Find what was unusual about each entity of a Sentinel incident.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="look up one incident in a workspace")
    run.add_argument("--incident", required=True, type=Path, help="incident payload (JSON file)")
    source = run.add_mutually_exclusive_group(required=True)
    source.add_argument("--workspace", type=Path, help="local workspace directory")
    source.add_argument(
        "--log-analytics",
        metavar="WORKSPACE_ID",
        help="query a Log Analytics workspace (DefaultAzureCredential: az login, managed "
        "identity, environment)",
    )
    run.add_argument(
        "--logs-endpoint",
        help="Log Analytics endpoint for sovereign clouds (default https://api.loganalytics.io; "
        "e.g. https://api.loganalytics.us)",
    )
    run.add_argument("--entities", type=Path, help="list-entities response (JSON file)")
    run.add_argument("--at", type=_parse_time, help="override the alert time (ISO 8601)")
    _output_options(run)
    _tuning_options(run)

    demo = commands.add_parser("demo", help="build a demo workspace and run the lookup on it")
    demo.add_argument(
        "--output-dir",
        type=Path,
        default=Path("demo-output"),
        help="where the workspace, incident and reports go (default: ./demo-output)",
    )
    demo.add_argument("--rows", type=int, default=250_000, help="rows across the five tables")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the generator")
    _output_options(demo)
    _tuning_options(demo)
    return parser


def _output_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=FORMATS, default="markdown", help="report format")
    command.add_argument("--output", type=Path, help="write the report here instead of stdout")
    command.add_argument("--no-progress", action="store_true", help="never draw the progress bar")
    command.add_argument(
        "--show-queries", action="store_true", help="print every query sent, on stderr"
    )


def _tuning_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--tables", help="comma-separated tables to scan (default: all)")
    command.add_argument("--step", choices=("auto", "1d", "1h"), help="bin size (default auto)")
    command.add_argument("--lookback-days", type=int, help="days of history (default 14)")
    command.add_argument("--threshold", type=float, help="anomaly score threshold (default 1.5)")
    command.add_argument("--max-anomalies", type=int, help="rows in the HTML comment")


def _settings(args: argparse.Namespace) -> Settings:
    base = Settings.from_env()
    tables = None
    if args.tables:
        tables = tuple(t.strip() for t in args.tables.split(",") if t.strip())
    return base.with_overrides(
        tables=tables,
        step=args.step,
        lookback_days=args.lookback_days,
        threshold=args.threshold,
        max_anomalies=args.max_anomalies,
    )


def _read_json(path: Path, what: str) -> object:
    """A JSON file read as untrusted input: any problem is a :class:`PayloadError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PayloadError("$", f"cannot read {what} file {path}: {exc.strerror or exc}") from exc
    try:
        return load_json(data)
    except PayloadError as exc:
        if what == "incident":  # main() names the incident file
            raise
        raise PayloadError(exc.field, f"in {what} file {path}: {exc.message}") from exc


def _parse(
    payload: object, args: argparse.Namespace, entities: object, settings: Settings
) -> Incident:
    """The incident of the payload, with an alert time whose analysis window exists."""
    from lookup.sentinel.payload import parse_incident

    try:
        incident = parse_incident(payload, at=args.at, entities=entities)
    except PayloadError:
        raise
    except (RecursionError, OverflowError, ValueError) as exc:  # inside JSON-as-text fields
        raise PayloadError("$", f"cannot be read: {type(exc).__name__}") from exc
    try:
        check_alert_time(incident.alert_time, settings, field=incident.alert_time_source)
    except PayloadError as exc:
        if args.at is not None:
            raise SettingsError("--at", exc.message) from exc
        raise
    return incident


def _check_output(output: Path | None) -> None:
    """Fail before the lookup, not after it, when the report cannot be written."""
    if output is None:
        return
    if output.is_dir():
        raise SettingsError("--output", f"{output} is a directory")
    parent = output.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise SettingsError("--output", f"cannot write {output}: {parent} is not writable")


def _emit(text: str, output: Path | None) -> None:
    # ``printable``: a lone surrogate (from log data) becomes a \udxxx escape, which is also
    # valid in JSON, instead of an encoding error after the whole lookup.
    text = printable(text)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SettingsError("--output", f"cannot write {output}: {exc.strerror or exc}") from exc


def _backend(args: argparse.Namespace, settings: Settings) -> Backend:
    if args.log_analytics:
        from lookup.backends.log_analytics import create_backend, query_printer

        return create_backend(
            args.log_analytics,
            settings=settings,
            endpoint=args.logs_endpoint,
            on_query=query_printer(sys.stderr) if args.show_queries else None,
        )
    from lookup.backends.local import LocalBackend

    return LocalBackend(args.workspace)


def _show_local_queries(backend: Backend, enabled: bool) -> None:
    """``--show-queries`` for DuckDB: the SQL each table cost, after the run."""
    if enabled:
        for sql in backend.stats.log:
            sys.stderr.write(f"-- duckdb\n{sql}\n\n")


def _run(args: argparse.Namespace) -> int:
    from lookup.engine import Progress, run_lookup
    from lookup.render import render

    settings = _settings(args)
    _check_output(args.output)
    payload = _read_json(args.incident, "incident")
    entities = _read_json(args.entities, "entities") if args.entities else None
    incident = _parse(payload, args, entities, settings)
    backend = _backend(args, settings)
    bar = ProgressBar(sys.stderr, "scanning tables", enabled=False if args.no_progress else None)

    def on_progress(event: Progress) -> None:
        bar.update(event.done, event.total, event.table)

    with backend:
        try:
            report = run_lookup(incident, backend, settings=settings, progress=on_progress)
        finally:
            bar.close()
    if not args.log_analytics:
        _show_local_queries(backend, args.show_queries)
    _emit(render(report, args.format), args.output)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from lookup.backends.local import LocalBackend
    from lookup.demo import build_demo_workspace, evaluate
    from lookup.engine import Progress, run_lookup
    from lookup.render import render

    settings = _settings(args)
    _check_output(args.output)
    out: Path = args.output_dir
    workspace = out / "workspace"
    err = sys.stderr
    err.write(f"Building the demo workspace in {workspace} ({args.rows:,} rows)...\n")
    started = time.monotonic()
    scenario = build_demo_workspace(workspace, total_rows=args.rows, seed=args.seed)
    err.write(
        f"  {sum(scenario.rows.values()):,} rows in {len(scenario.rows)} tables "
        f"({time.monotonic() - started:.1f}s)\n"
    )
    incident_path = out / "incident.json"
    incident_path.write_text(json.dumps(scenario.incident, indent=2), encoding="utf-8")
    backend = LocalBackend(workspace)
    bar = ProgressBar(err, "scanning tables", enabled=False if args.no_progress else None)

    def on_progress(event: Progress) -> None:
        bar.update(event.done, event.total, event.table)

    try:
        report = run_lookup(scenario.incident, backend, settings=settings, progress=on_progress)
    finally:
        bar.close()
        backend.close()
    _show_local_queries(backend, args.show_queries)
    html_path = out / "comment.html"
    json_path = out / "report.json"
    markdown_path = out / "report.md"
    html_path.write_text(render(report, "html"), "utf-8")
    json_path.write_text(report.to_json(), encoding="utf-8")
    markdown_path.write_text(render(report, "markdown"), encoding="utf-8")
    _emit(render(report, args.format), args.output)
    check = evaluate(report, scenario)
    err.write(
        f"\nDemo: {len(report.anomalies)} anomalies reported; {len(check.found)} of "
        f"{len(scenario.injected)} planted anomalies found"
        f"{' (all ranked above background noise)' if check.all_found_on_top else ''}; "
        f"{len(check.traps_reported)} of {len(scenario.traps)} traps reported; "
        f"{report.stats.queries} queries in {report.stats.seconds:.2f}s.\n"
        f"  incident:        {incident_path}\n"
        f"  incident comment: {html_path}  (open it in a browser)\n"
        f"  JSON report:     {json_path}\n"
        f"  markdown report: {markdown_path}\n"
        f"Run it yourself: {_program()} run --incident {incident_path} --workspace {workspace}\n"
    )
    return EXIT_OK


def _program() -> str:
    """How the user ran us: ``.venv/bin/anomaly-lookup`` after ``make demo``, else the name."""
    invoked = sys.argv[0] if sys.argv else ""
    return invoked if Path(invoked).name == "anomaly-lookup" else "anomaly-lookup"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``anomaly-lookup`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "run":
            return _run(args)
        return _demo(args)
    except PayloadError as exc:
        source = getattr(args, "incident", None)
        prefix = f"{source}: " if source else ""
        where = "" if exc.field == "$" else f"{exc.field}: "
        text = printable(f"{prefix}{where}{exc.message}").replace("\n", " ")
        parser.exit(EXIT_BAD_INPUT, f"anomaly-lookup: error: {text}\n")
    except AnomalyLookupError as exc:
        text = printable(str(exc)).replace("\n", " ")
        parser.exit(EXIT_BAD_INPUT, f"anomaly-lookup: error: {text}\n")
    except KeyboardInterrupt:
        parser.exit(130, "anomaly-lookup: interrupted\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
