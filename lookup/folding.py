"""Which findings are one set of rows, and how they are shown once (issue 12, points 5-6).

A set of rows can be reported several times: through two columns that describe the same
rows (``EventID`` and ``Activity``), and through several entities that the rows carry (the
failed logons of the victim on her workstation are rows of the account *and* of the
host; the victim's downloads from the attacker's address are rows of both). The analyst
should read each set once. But identical count series do not prove identical rows: two
unrelated bursts of five rows each have the same series ``[0, ..., 0, 5]``, and calling one
"the same rows" as the other tells the analyst something false.

**The proof rule.** The counts question returns, for each (entity, column, value, bin), a
*fingerprint* of the rows it counted: the sum of their timestamps (microseconds since the
start of the counts window) and the sum of the lengths of their categorical values' text.
Two findings of one table are **the same rows** when their test bins hold the same number
of rows with the same fingerprint. Equal fingerprints of different row sets need rows that
differ neither in their timestamps' sum nor in their text lengths' sum: an identical
batch written at one instant with same-length values is the one case the rule cannot tell
apart. Then:

* a finding of the same entity is listed in the first finding's ``related`` ("same rows");
* a finding of another entity is listed in its ``also`` ("also <entity>"), so the row names
  every entity that reaches those rows.

A backend that gives no fingerprint gives no proof: identical series of one entity, table
and bin are then listed as ``in_step`` ("moved in step with"), never as the same rows, and
findings of different entities are never merged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from lookup.models import Anomaly

#: (entity, entity kind, column, value) of a finding of another entity folded into a row.
Reach = tuple[str, str, str, str]


@dataclass(frozen=True)
class Candidate:
    """An anomaly before ranking.

    ``entity_order`` keeps the payload's entity order; ``fingerprint`` is the fingerprint
    of the rows counted in the test bin (``None`` when the backend gives none).
    """

    entity_order: int
    anomaly: Anomaly
    fingerprint: tuple[int, ...] | None = None


@dataclass
class _Row:
    lead: Candidate
    related: list[tuple[str, str]] = field(default_factory=list)
    in_step: list[tuple[str, str]] = field(default_factory=list)
    also: list[Reach] = field(default_factory=list)

    def columns(self) -> set[str]:
        """Columns of the lead's entity already in the row (one value per column)."""
        a = self.lead.anomaly
        return {a.column} | {c for c, _ in self.related} | {c for c, _ in self.in_step}

    def absorb(self, candidate: Candidate, proven: bool) -> bool:
        """Fold ``candidate`` into this row if it belongs here; whether it did."""
        a = candidate.anomaly
        if candidate.entity_order != self.lead.entity_order:
            if not proven:
                return False
            reach = (a.entity, a.entity_kind, a.column, a.value)
            if reach not in self.also:
                self.also.append(reach)
            return True
        # A row has one value per column: two values of one column are never the same rows.
        if a.column in self.columns():
            return False
        (self.related if proven else self.in_step).append((a.column, a.value))
        return True

    def anomaly(self, rank: int) -> Anomaly:
        return replace(
            self.lead.anomaly,
            rank=rank,
            related=tuple(self.related),
            in_step=tuple(self.in_step),
            also=tuple(self.also),
        )


def fold(candidates: Iterable[Candidate]) -> tuple[Anomaly, ...]:
    """Rank candidates (best first, see :func:`sort_key`) and fold repeated rows; number 1..n.

    One value of one column reached through two entity columns of the same table (e.g.
    ``Account`` and ``TargetUserName`` both holding the user) keeps its best row only.
    """
    seen: set[tuple[int, str, str, str]] = set()
    proven: dict[tuple[object, ...], _Row] = {}
    in_step: dict[tuple[object, ...], _Row] = {}
    rows: list[_Row] = []
    for candidate in sorted(candidates, key=sort_key):
        a = candidate.anomaly
        identity = (candidate.entity_order, a.table, a.column, a.value)
        if identity in seen:
            continue
        seen.add(identity)
        if candidate.fingerprint is not None:
            key: tuple[object, ...] = (a.table, a.actual, candidate.fingerprint)
            row = proven.get(key)
            if row is not None and row.absorb(candidate, proven=True):
                continue
        else:
            key = (candidate.entity_order, a.table, a.bin_start, a.step, a.series)
            row = in_step.get(key)
            if row is not None and row.absorb(candidate, proven=False):
                continue
        row = _Row(candidate)
        rows.append(row)
        (proven if candidate.fingerprint is not None else in_step).setdefault(key, row)
    return tuple(row.anomaly(rank) for rank, row in enumerate(rows, start=1))


def sort_key(c: Candidate) -> tuple[float, float, int, str, str, str, str]:
    """By score, then by how far above its baseline, then by fixed names (stable ties)."""
    a = c.anomaly
    return (-a.score, -a.excess, c.entity_order, a.table, a.column, a.value, a.entity_column)
