"""Generators only the benchmark needs; they build on the demo's (``lookup.demo``).

* :mod:`.entities` -- the demo incident with more entities (members of the demo company);
* :mod:`.custom` -- custom ``_CL`` tables with generic column names;
* :mod:`.grow` -- a workspace grown to tens of millions of rows, the incident's rows kept once;
* :mod:`.labelled` -- many labelled incidents over one shared workspace (detection quality),
  built from :mod:`.victims` (ordinary weeks, traps, the attacker's history) and
  :mod:`.attacks` (what is planted before each alert).

None of this ships in the ``lookup`` package.
"""

from __future__ import annotations

from bench.generators.custom import add_custom_tables
from bench.generators.entities import company_entities, demo_incident_entities, with_entities
from bench.generators.grow import DEMO_PROTECTED, GROW_UNIQUE_COLUMNS, grow_workspace
from bench.generators.labelled import DetectionWorkspace, build_detection_workspace

__all__ = [
    "DEMO_PROTECTED",
    "GROW_UNIQUE_COLUMNS",
    "DetectionWorkspace",
    "add_custom_tables",
    "build_detection_workspace",
    "company_entities",
    "demo_incident_entities",
    "grow_workspace",
    "with_entities",
]
