"""``python -m bench``: run the benchmark and detection-quality harness, write the results.

Modes:

* ``python -m bench`` -- the full harness (about 10-15 minutes on 2 cores from scratch):
  writes ``bench/RESULTS.md``, ``bench/results.json`` and ``bench/scale.png``, the committed
  results.
* ``python -m bench --quick`` -- every part at small sizes (under 2 minutes), for CI: writes
  to ``bench/.data/quick/`` (ignored by git) so it never overwrites the committed results.

Generated workspaces are cached under ``bench/.data/`` (``--cache``), keyed by their
parameters and the generator's source, so re-runs skip generation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.harness import SECTIONS, run
from bench.profiles import PROFILES

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (< 2 min)")
    parser.add_argument("--profile", choices=sorted(PROFILES), help="full (default), quick or mini")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated parts to run (default: all of {','.join(SECTIONS)})",
    )
    parser.add_argument("--out", type=Path, help="where to write RESULTS.md / results.json")
    parser.add_argument("--cache", type=Path, default=BENCH_DIR / ".data", help="data cache")
    args = parser.parse_args(argv)
    name = args.profile or ("quick" if args.quick else "full")
    profile = PROFILES[name]
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")
    out = args.out or (BENCH_DIR if name == "full" else args.cache / name)
    command = "python -m bench" + ("" if name == "full" else f" --profile {name}")
    if args.only != ",".join(SECTIONS):
        command += f" --only {args.only}"

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    results = run(profile, sections, out=out, cache=args.cache, command=command, log=log)
    log(f"wrote {out / results['markdown_name']} and {out / results['json_name']}")
    for target in results["targets"]:
        status = {True: "met", False: "NOT MET", None: "n/a"}[target["met"]]
        log(f"target: {target['target']}: {target['measured']} [{status}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
