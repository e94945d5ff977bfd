"""One scale measurement in a fresh process: ``python -m bench.scale_child DIR ENTITIES``.

Prints one JSON object: the end-to-end seconds of the lookup (opening the workspace with
``LocalBackend`` and ``run_lookup`` on the demo incident with ENTITIES entities), the
process's peak resident memory, and what the lookup did. A third argument, a JSON file,
replaces the demo incident (ENTITIES is then ignored).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _rss_mib(field: str = "VmHWM") -> float:
    """Peak (``VmHWM``) or current (``VmRSS``) resident memory of this process, in MiB.

    ``/proc/self/status`` describes this program's own memory: ``ru_maxrss`` would not, as
    Linux carries the parent's peak across fork and exec into the child's.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str]) -> int:
    directory, entities = argv[0], int(argv[1])
    started = time.perf_counter()
    from bench.generators import demo_incident_entities
    from bench.recording import RecordingBackend
    from lookup.backends.local import LocalBackend
    from lookup.engine import run_lookup
    from lookup.settings import Settings

    imported = time.perf_counter()
    rss_imports = _rss_mib("VmRSS")
    incident = (
        json.loads(Path(argv[2]).read_text()) if len(argv) > 2 else demo_incident_entities(entities)
    )
    begin = time.perf_counter()
    local = LocalBackend(directory)
    backend = RecordingBackend(local)
    report = run_lookup(incident, backend, settings=Settings())
    seconds = time.perf_counter() - begin
    local.close()
    records = backend.records.values()
    statuses: dict[str, int] = {}
    for table in report.tables:
        statuses[table.status] = statuses.get(table.status, 0) + 1
    print(
        json.dumps(
            {
                "seconds": seconds,
                "import_seconds": imported - started,
                "peak_rss_mib": _rss_mib(),
                "rss_after_imports_mib": rss_imports,
                "queries": report.stats.queries,
                "series_scored": report.stats.series_scored,
                "rows_returned": report.stats.rows_returned,
                "anomalies": len(report.anomalies),
                "tables": statuses,
                "entities": len(report.entities),
                "profile_seconds": sum(r.profile_seconds for r in records),
                "counts_seconds": sum(r.counts_seconds for r in records),
                "match_pairs": sum(
                    len(p.columns)
                    for r in records
                    if r.profile_request
                    for p in r.profile_request.probes
                ),
                "count_branches": sum(
                    len(r.counts_request.groups) * len(r.counts_request.columns)
                    for r in records
                    if r.counts_request
                ),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
