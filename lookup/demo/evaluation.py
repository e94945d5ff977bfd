"""How a lookup report compares with a scenario's ground truth: found, missed, traps, noise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lookup.demo.story import DemoScenario, Injected, Trap


@dataclass(frozen=True)
class Evaluation:
    """How a report compares with a scenario's ground truth."""

    found: tuple[Injected, ...]
    missed: tuple[Injected, ...]
    traps_reported: tuple[Trap, ...]
    #: Reported anomalies that no injected row explains (background noise), as ranks.
    unexplained_ranks: tuple[int, ...]
    #: Rank at which each found anomaly (or the row it was folded into) appears.
    ranks: Mapping[Injected, int]

    @property
    def all_found_on_top(self) -> bool:
        """Every planted anomaly found, and ranked above every unexplained one."""
        if self.missed:
            return False
        worst = max(self.ranks.values(), default=0)
        return all(rank > worst for rank in self.unexplained_ranks)


def evaluate(report: Any, scenario: DemoScenario) -> Evaluation:
    """Compare a lookup report (``lookup.report.Report``) with the scenario's ground truth.

    A planted anomaly counts as found when its value is reported for its entity and table,
    as a row of its own or folded into a row: as a related column, in step, or as the same
    rows reached through another entity (``also``).
    """
    where: dict[tuple[str, str, str, str], int] = {}
    unexplained = []
    for anomaly in report.anomalies:
        pairs = [(anomaly.column, anomaly.value), *anomaly.related, *anomaly.in_step]
        keys = [(anomaly.entity, anomaly.table, column, value) for column, value in pairs]
        keys += [
            (entity, anomaly.table, column, value) for entity, _, column, value in anomaly.also
        ]
        for key in keys:
            where.setdefault(key, anomaly.rank)
        if not any(key in scenario.caused_by_injection for key in keys):
            unexplained.append(anomaly.rank)
    ranks = {}
    found, missed = [], []
    for item in scenario.injected:
        rank = where.get((item.entity, item.table, item.column, item.value))
        if rank is None:
            missed.append(item)
        else:
            found.append(item)
            ranks[item] = rank
    columns = {(entity, table, column) for entity, table, column, _ in where}
    traps = tuple(
        t
        for t in scenario.traps
        if (t.entity, t.table, t.column, t.value) in where
        or (t.value == "*" and (t.entity, t.table, t.column) in columns)
    )
    return Evaluation(tuple(found), tuple(missed), traps, tuple(unexplained), ranks)
