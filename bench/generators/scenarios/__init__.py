"""Labelled workspaces for the ways real data differs from the detection set (issue 12).

One builder per point of the issue, each writing a small workspace (JSON lines, one CSV)
with one or more incidents, planted anomalies and traps (:mod:`.common`):

* :func:`.gaps.collection_gap` -- tables that stopped logging, a table with one day;
* :func:`.gaps.new_entity` -- entities first seen hours or days before the alert;
* :func:`.identity.process_bystander` -- processes and files sharing an image name;
* :func:`.identity.untyped_custom_table` -- GUID id columns in CSV and JSON custom logs;
* :func:`.grouping.mirrored_entities` -- one set of rows through three entities, and equal
  bursts of different rows;
* :func:`.rhythm.weekly_job` -- jobs that run only on the alert's weekday;
* :func:`.rhythm.small_tables` -- tables of a few dozen rows.

:mod:`bench.scenarios` runs the lookup on each and judges it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.generators.scenarios.common import ALERT, Scenario, Variant
from bench.generators.scenarios.gaps import collection_gap, new_entity
from bench.generators.scenarios.grouping import mirrored_entities
from bench.generators.scenarios.identity import process_bystander, untyped_custom_table
from bench.generators.scenarios.rhythm import small_tables, weekly_job

#: Scenario builders in the order of the issue's points.
BUILDERS: dict[str, Callable[[Path], Scenario]] = {
    "collection-gap": collection_gap,
    "new-entity": new_entity,
    "process-bystander": process_bystander,
    "untyped-custom-table": untyped_custom_table,
    "mirrored-entities": mirrored_entities,
    "weekly-job": weekly_job,
    "small-tables": small_tables,
}

__all__ = ["ALERT", "BUILDERS", "Scenario", "Variant"]
