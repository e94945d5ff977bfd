"""Runs the parts of the harness and writes the results files."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import machine
from bench.profiles import Profile
from bench.report import readme_sections, render, targets
from bench.workspaces import GENERATED_SECONDS, generator_version, prune

SECTIONS = ("scale", "scoring", "queries", "detection", "sweep")
#: Real log rows kept with the tests; TV2 (Kusto's own output) is read from here.
SAMPLE_DATA = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sample-data"


def _sample_data() -> Path:
    return SAMPLE_DATA


def run(
    profile: Profile,
    sections: list[str],
    *,
    out: Path,
    cache: Path,
    command: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Run ``sections`` of the harness at ``profile`` sizes; write results into ``out``."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    prune(cache, generator_version())
    GENERATED_SECONDS.clear()
    results: dict[str, Any] = {
        "profile": profile.name,
        "command": command,
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "section_seconds": {},
    }
    suffix = "" if profile.name == "full" else f"-{profile.name}"
    results["json_name"] = f"results{suffix}.json" if suffix else "results.json"
    results["markdown_name"] = f"RESULTS{suffix}.md" if suffix else "RESULTS.md"
    for section in SECTIONS:
        if section not in sections:
            continue
        begun = time.perf_counter()
        log(f"--- {section} ---")
        if section == "scale":
            from bench.scale import plot, run_scale

            results["scale"] = run_scale(profile, cache, log)
            name = f"scale{suffix}.png"
            plot(results["scale"], out / name)
            results["plot_name"] = name
        elif section == "scoring":
            from bench.throughput import run_throughput

            results["scoring"] = run_throughput(profile, _sample_data(), log)
        elif section == "queries":
            from bench.queries import run_queries

            results["queries"] = run_queries(profile, cache, log)
        elif section == "sweep":
            from bench.sweep import run_sweep

            results["sweep"] = run_sweep(profile, cache, log)
        else:
            from bench.detection import run_detection

            results["detection"] = run_detection(profile, cache, log)
        results["section_seconds"][section] = time.perf_counter() - begun
    results["generation_seconds"] = sum(GENERATED_SECONDS)
    results["wall_seconds"] = time.perf_counter() - started
    results["targets"] = targets(results)
    (out / results["json_name"]).write_text(json.dumps(results, indent=1, default=str) + "\n")
    (out / results["markdown_name"]).write_text(render(results))
    (out / f"README_SECTIONS{suffix}.md").write_text(readme_sections(results))
    return results
