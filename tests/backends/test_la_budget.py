"""Size of the Log Analytics queries: linear in the identifiers, within the text budget.

Log Analytics documents limits on results (500,000 records, ~100 MiB) and on query
complexity, none on the text (:mod:`lookup.backends.la_match` lists them); the backend keeps
every query under its own budget, :data:`lookup.backends.la_match.MAX_QUERY_CHARS`. An
incident of 200 entities of every kind, over every bundled Sentinel table, fits without
leaving anything out; absurd identifiers make the query leave out the last entities and say
so, and the table is reported as partial.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kusto.language_service import schema_tables, shared_service, usage_table

from lookup.backends.base import (
    CountsRequest,
    EntityHit,
    EntityProbe,
    ProfileRequest,
    SeriesGroup,
)
from lookup.backends.la_match import MAX_QUERY_CHARS
from lookup.backends.la_queries import (
    ResultTable,
    counts_query,
    parse_counts,
    parse_profile,
    profile_query,
)
from lookup.models import EntityKind, Window
from lookup.tables import (
    bundled_tables,
    categorical_candidates,
    entity_columns,
    load_bundled_schema,
)

START = datetime(2024, 4, 30, tzinfo=UTC)
END = datetime(2024, 5, 15, tzinfo=UTC)
DAILY = Window(START, timedelta(days=1), 15)
HOURLY = Window(datetime(2024, 5, 11, 9, tzinfo=UTC), timedelta(hours=1), 73)
KINDS = (
    EntityKind.ACCOUNT,
    EntityKind.HOST,
    EntityKind.IP,
    EntityKind.URL,
    EntityKind.FILE_HASH,
    EntityKind.PROCESS,
    EntityKind.MAILBOX,
    EntityKind.CLOUD_APPLICATION,
)


def identifiers(kind: EntityKind, i: int) -> tuple[str, ...]:
    """Realistic identifiers of the ``i``-th entity of a kind (what entities.py derives)."""
    return {
        EntityKind.ACCOUNT: (
            f"user{i}@contoso.com",
            f"CONTOSO\\user{i}",
            f"S-1-5-21-1004336348-1177238915-682003330-{1000 + i}",
            f"user{i}",
            f"5f1a{i:04d}-0000-4000-8000-00000000{i:04d}",
        ),
        EntityKind.HOST: (f"ws-{i:04d}.contoso.com", f"ws-{i:04d}"),
        EntityKind.IP: (f"10.{i // 256}.{i % 256}.7",),
        EntityKind.URL: (f"https://evil{i}.example/path/login.php",),
        EntityKind.FILE_HASH: (f"{i:064x}",),
        EntityKind.PROCESS: (f"powershell.exe -nop -w hidden -enc SQBFAFgA{i:06d}",),
        EntityKind.MAILBOX: (f"user{i}@contoso.com",),
        EntityKind.CLOUD_APPLICATION: (f"App {i}",),
    }[kind]


def requests(table: str, entities: int) -> tuple[ProfileRequest, CountsRequest, dict[str, str]]:
    """Profile and counts requests of an incident of ``entities`` entities of every kind."""
    schema = load_bundled_schema(table)
    assert schema is not None
    types = {c.name: c.kql_type for c in schema}
    probes = []
    for i in range(entities):
        kind = KINDS[i % len(KINDS)]
        columns = entity_columns(kind, table, schema)
        if columns:
            probes.append(EntityProbe(i, identifiers(kind, i), columns))
    candidates = tuple(categorical_candidates(schema, exclude=()))
    profile = ProfileRequest(table, START, END, tuple(probes), candidates)
    groups = tuple(
        SeriesGroup(p.entity, column, p.identifiers, DAILY if p.entity % 2 else HOURLY)
        for p in probes
        for column in p.columns
    )
    return profile, CountsRequest(table, groups, candidates), types


def sizes(table: str, entities: int) -> tuple[int, int, int]:
    """(identifier characters, profile characters, counts characters)."""
    profile, counts, types = requests(table, entities)
    plan = profile_query(profile, types)
    assert plan.capped is None
    identifier_chars = sum(len(x) for p in profile.probes for x in p.identifiers)
    counts_chars = len(counts_query(counts, types).text) if counts.groups else 0
    return identifier_chars, len(plan.query.text), counts_chars


TABLES = [t for t in bundled_tables() if requests(t, 8)[0].probes]


@pytest.mark.parametrize("table", TABLES)
def test_200_entities_fit_the_budget_and_grow_linearly(table: str) -> None:
    base = sizes(table, 50)
    full = sizes(table, 200)
    assert full[1] <= MAX_QUERY_CHARS and full[2] <= MAX_QUERY_CHARS
    # Each entity added costs its identifiers' text once plus a small constant (its `let`,
    # its `iff` and its columns' ordinals): under 250 characters per entity beyond the
    # identifiers, on every bundled table (SecurityEvent, the widest, is at ~180).
    added_identifier_chars = full[0] - base[0]
    for before, after in ((base[1], full[1]), (base[2], full[2])):
        assert after - before <= added_identifier_chars + 250 * 150


def test_absurd_identifiers_leave_out_the_last_entities_and_say_so() -> None:
    huge = tuple(f"{'A' * 30_000}{i}" for i in range(2))
    probes = tuple(EntityProbe(i, huge, ("CommandLine", "Process")) for i in range(5))
    request = ProfileRequest("SecurityEvent", START, END, probes, ("EventID",))
    plan = profile_query(request, {"EventID": "int"})
    assert len(plan.query.text) <= MAX_QUERY_CHARS
    assert [p.entity for p in plan.probes] == [0]
    assert plan.capped == (
        "query text budget (100,000 characters): 4 of 5 entities not searched in this table"
    )
    answer = ResultTable(
        ("rows", "d0", "e", "c", "h", "f"),
        ((10, 2, None, None, None, None), (None, None, 0, 1, 3, "2024-05-01T00:00:00Z")),
    )
    profile = parse_profile(request, plan, answer, None)
    assert profile.partial == plan.capped
    assert profile.hits[:3] == (
        EntityHit(0, "CommandLine", 0, None),
        EntityHit(0, "Process", 3, datetime(2024, 5, 1, tzinfo=UTC)),
        EntityHit(1, "CommandLine", 0, None),
    )
    groups = tuple(SeriesGroup(p.entity, "Process", huge, DAILY) for p in probes)
    counts = CountsRequest("SecurityEvent", groups, ("EventID",))
    text = counts_query(counts, {"EventID": "int"}).text
    assert len(text) <= MAX_QUERY_CHARS
    answer = ResultTable(("e", "ec", "c", "v", "b"), ((0, 0, 0, "4625", [[14, 2]]),))
    parsed = parse_counts(counts, answer, "PartialError: x")
    assert parsed.partial == (
        "query text budget (100,000 characters): 4 of 5 entities not counted in this table; "
        "PartialError: x"
    )
    assert [(r.entity, r.count) for r in parsed.rows] == [(0, 2)]


def test_200_entity_queries_bind_in_the_language_service(schemas_dir: Path) -> None:
    service = shared_service()
    service.set_tables([*schema_tables(schemas_dir), usage_table()])
    for table in ("SecurityEvent", "DeviceProcessEvents", "CommonSecurityLog", "SigninLogs"):
        profile, counts, types = requests(table, 200)
        for text in (profile_query(profile, types).query.text, counts_query(counts, types).text):
            analysis = service.analyse(text)
            assert analysis.errors == (), analysis.explain()[-2000:]
