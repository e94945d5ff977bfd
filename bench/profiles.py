"""What each harness mode measures: ``full`` (the committed results), ``quick`` (CI), ``mini``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lookup.demo import DEFAULT_ALERT_TIME


@dataclass(frozen=True)
class ScalePoint:
    """One scale measurement: about ``rows`` rows in ``tables`` tables, ``entities`` entities."""

    rows: int
    tables: int
    entities: int
    #: fresh-process runs of this point (None: the profile's default for its size)
    runs: int | None = None


@dataclass(frozen=True)
class DetectionSet:
    """One shared workspace of labelled incidents."""

    name: str
    alert_time: datetime
    incidents: int
    background_rows: int
    seed: int


@dataclass(frozen=True)
class Profile:
    """Sizes of every part of the harness."""

    name: str
    scale_points: tuple[ScalePoint, ...]
    #: runs (fresh processes) per scale point, by size: (max rows, runs)
    repeats: tuple[tuple[int, int], ...]
    scoring_series: int
    loop_sample: int
    stl_sample: int
    detection: tuple[DetectionSet, ...]
    query_rows: int
    query_tables: tuple[int, ...]
    query_entities: tuple[int, ...]
    #: Issue 13's sweeps (bench/sweep.py): entities on a workspace of ``sweep_rows``,
    #: tables of ``sweep_columns`` columns of ``columns_rows`` rows, the wide Defender
    #: tables at ``wide_rows`` (the incident's rows in the first size), the narrow 3-entity
    #: reference at ``narrow_rows``, and the Log Analytics sweeps on ``la_rows`` rows.
    sweep_rows: int = 10_000_000
    sweep_entities: tuple[int, ...] = (1, 3, 10, 30, 100)
    sweep_runs: int = 2
    sweep_columns: tuple[int, ...] = (20, 60, 200)
    columns_rows: int = 500_000
    wide_rows: tuple[int, ...] = (600_000, 6_000_000)
    narrow_rows: tuple[int, ...] = (1_000_000, 10_000_000)
    la_rows: int = 100_000
    la_entities: tuple[int, ...] = (1, 3, 10, 30, 100, 200)

    def runs_for(self, point: ScalePoint) -> int:
        if point.runs is not None:
            return point.runs
        for limit, runs in self.repeats:
            if point.rows <= limit:
                return runs
        return 1


def _points(rows: tuple[int, ...], tables: int, entities: int) -> tuple[ScalePoint, ...]:
    return tuple(ScalePoint(r, tables, entities) for r in rows)


_THURSDAY = DEFAULT_ALERT_TIME  # 2026-11-19 14:30 UTC
_TUESDAY_LATE = datetime(2026, 11, 17, 23, 20, tzinfo=UTC)
_SATURDAY_EVENING = datetime(2026, 11, 21, 21, 45, tzinfo=UTC)

FULL = Profile(
    name="full",
    scale_points=(
        *_points((100_000, 1_000_000), 5, 3),
        ScalePoint(10_000_000, 5, 3, runs=3),
        ScalePoint(30_000_000, 5, 3),
        *_points((1_000_000, 10_000_000), 5, 1),
        ScalePoint(1_000_000, 5, 10),
        ScalePoint(10_000_000, 5, 10, runs=1),
        *_points((1_000_000, 10_000_000), 20, 3),
        ScalePoint(10_000_000, 20, 10, runs=1),
    ),
    repeats=((1_000_000, 3), (10_000_000, 2), (10**12, 1)),
    scoring_series=100_000,
    loop_sample=3_000,
    stl_sample=1_000,
    detection=(
        DetectionSet("thursday-afternoon", _THURSDAY, 12, 120_000, 11),
        DetectionSet("tuesday-late", _TUESDAY_LATE, 12, 120_000, 23),
        DetectionSet("saturday-evening", _SATURDAY_EVENING, 12, 120_000, 37),
    ),
    query_rows=1_000_000,
    query_tables=(5, 20),
    query_entities=(1, 3, 10),
)

QUICK = Profile(
    name="quick",
    scale_points=(
        *_points((100_000, 1_000_000), 5, 3),
        ScalePoint(100_000, 5, 1),
        ScalePoint(100_000, 20, 3),
    ),
    repeats=((10**12, 1),),
    scoring_series=10_000,
    loop_sample=300,
    stl_sample=100,
    detection=(DetectionSet("thursday-afternoon", _THURSDAY, 10, 60_000, 11),),
    query_rows=100_000,
    query_tables=(5, 20),
    query_entities=(1, 3),
    sweep_rows=100_000,
    sweep_entities=(1, 3, 10),
    sweep_runs=1,
    sweep_columns=(20, 60),
    columns_rows=50_000,
    wide_rows=(60_000,),
    narrow_rows=(100_000,),
    la_rows=30_000,
    la_entities=(1, 3, 10),
)

#: For the test suite: every part, smallest sizes.
MINI = Profile(
    name="mini",
    scale_points=(ScalePoint(30_000, 5, 3), ScalePoint(30_000, 20, 1)),
    repeats=((10**12, 1),),
    scoring_series=2_000,
    loop_sample=100,
    stl_sample=40,
    detection=(DetectionSet("thursday-afternoon", _THURSDAY, 6, 40_000, 11),),
    query_rows=30_000,
    query_tables=(5, 20),
    query_entities=(1, 3),
    sweep_rows=30_000,
    sweep_entities=(1, 3),
    sweep_runs=1,
    sweep_columns=(20,),
    columns_rows=20_000,
    wide_rows=(20_000, 40_000),
    narrow_rows=(30_000,),
    la_rows=20_000,
    la_entities=(1, 3),
)

PROFILES = {p.name: p for p in (FULL, QUICK, MINI)}
