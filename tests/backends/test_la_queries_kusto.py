"""The KQL gate: every query the Log Analytics backend can emit parses and binds cleanly in
Microsoft's Kusto language service (``@kusto/language-service-next``).

The database is built from ``tests/fixtures/schemas/*.json`` (real Sentinel tables), the
``Usage`` table and test tables with hostile names. Query shapes: table discovery,
``getschema`` batches, profile and counts for every schema table and every entity kind,
mixed daily/hourly windows, hostile identifiers and values, chart queries and drill-downs.
All of them run through one Node.js process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kusto.language_service import (
    LanguageService,
    schema_tables,
    shared_service,
    usage_table,
)

from lookup.backends.base import (
    ColumnInfo,
    CountsRequest,
    EntityProbe,
    ProfileRequest,
    Scope,
    SeriesGroup,
)
from lookup.backends.la_queries import (
    counts_query,
    profile_query,
    schema_query,
    usage_tables_query,
)
from lookup.drilldown import ChartSeries, chart_queries, drilldown_query
from lookup.models import EntityKind, Window
from lookup.tables import normalize_kql_type

ALERT = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
DAILY = Window(datetime(2024, 4, 30, tzinfo=UTC), timedelta(days=1), 15)
HOURLY = Window(datetime(2024, 5, 11, 9, tzinfo=UTC), timedelta(hours=1), 73)
SCAN = (DAILY.start, DAILY.end)

HOSTILE = (
    'evil"user',
    "o'brien",
    "CONTOSO\\jdoe",
    "line\nbreak\r\n",
    "nul\x00byte",
    "sep\u2028arator\u2029",
    "bidi\u202eevil\u200f",
    "emoji \U0001f600 \U0001f4a9",
    "take 1",
    '" | union * | take 10 //',
    "| drop",
    "'; .drop table SigninLogs",
    "]);\n} | getschema",
    "\\",
    '\\"',
)

#: Identifiers per entity kind: realistic first, then the hostile ones.
IDENTIFIERS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.ACCOUNT: ("jdoe@contoso.com", "CONTOSO\\jdoe", "S-1-5-21-1-2-3-1104", "jdoe"),
    EntityKind.HOST: ("web01.contoso.com", "web01", "WEB01"),
    EntityKind.IP: ("10.1.2.3", "2001:db8::1"),
    EntityKind.URL: ("https://evil.example/a?b=c&d='e'", "evil.example/a?b=c&d='e'"),
    EntityKind.FILE_HASH: ("44d88612fea8a8f36de82e1278abb02f",),
    EntityKind.PROCESS: ('cmd.exe /c "whoami & net user"', "C:\\Windows\\System32\\cmd.exe"),
    EntityKind.MAILBOX: ("jdoe@contoso.com",),
    EntityKind.CLOUD_APPLICATION: ("Office 365", "00000002-0000-0ff1-ce00-000000000000"),
    EntityKind.AZURE_RESOURCE: (
        "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
    ),
    EntityKind.DNS_RESOLUTION: ("wh401k.org", 'evil".example'),
    EntityKind.FILE: ("C:\\Windows\\System32\\cmd.exe", "cmd.exe"),
    EntityKind.MAIL_MESSAGE: ("<a0e3cf57@DM6NAM12FT058.prod.outlook.com>", "email@fake.com"),
    EntityKind.SUBMISSION_MAIL: ("5bb3d8fe-54bc-499c-bc21-86fe8df2a184", "1.4.35.34"),
    EntityKind.REGISTRY_KEY: ("HKEY_LOCAL_MACHINE\\SOFTWARE", "\\REGISTRY\\MACHINE\\SOFTWARE"),
    EntityKind.REGISTRY_VALUE: ("Run", 'C:\\x.exe" | take 1'),
    EntityKind.SECURITY_GROUP: ("S-1-5-32-544", "CN=Domain Admins,CN=Users,DC=contoso,DC=com"),
    EntityKind.IOT_DEVICE: ("device1", "00-0D-3A-F9-80-E0"),
    EntityKind.MALWARE: ("Win32/Toga!rfn", "EICAR_Test_File"),
    EntityKind.NIC: ("10.1.0.7", "000D3AF980E0"),
}

#: A custom table the bundled schemas do not know, with names that are not plain
#: identifiers, that are KQL keywords, or that collide with the queries' own columns.
ODD_TABLE = {
    "name": "Odd_CL",
    "columns": [
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "my col", "type": "string"},
        {"name": "where", "type": "string"},
        {"name": "Type", "type": "string"},
        {"name": "take", "type": "long"},
        {"name": "__alm0", "type": "string"},
        {"name": "__alg", "type": "string"},
        {"name": "g", "type": "string"},
        {"name": "rows", "type": "long"},
        {"name": "Series", "type": "string"},
        {"name": 'quote"d', "type": "string"},
        {"name": "back\\slash", "type": "int"},
        {"name": "payload", "type": "dynamic"},
        {"name": "title", "type": "string"},
        {"name": "has_any", "type": "string"},
    ],
}
KEYWORD_TABLE = {
    "name": "where",
    "columns": [
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "Account", "type": "string"},
        {"name": "count", "type": "long"},
    ],
}
STRING_LIKE = {"string", "dynamic"}
CATEGORICAL = {"string", "int", "long"}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[ColumnInfo, ...]

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.kql_type for c in self.columns}


def _tables(schemas_dir: Path) -> list[Table]:
    specs = [*schema_tables(schemas_dir), ODD_TABLE, KEYWORD_TABLE]
    return [
        Table(
            spec["name"],
            tuple(ColumnInfo(c["name"], normalize_kql_type(c["type"])) for c in spec["columns"]),
        )
        for spec in specs
    ]


@pytest.fixture(scope="module")
def service(schemas_dir: Path) -> Iterator[LanguageService]:
    ls = shared_service()
    count = ls.set_tables([*schema_tables(schemas_dir), usage_table(), ODD_TABLE, KEYWORD_TABLE])
    assert count == len(list(schemas_dir.glob("*.json"))) + 3
    yield ls


def _probes(table: Table) -> tuple[EntityProbe, ...]:
    """One probe per entity kind, spread over the table's text columns, plus hostile ones."""
    text_columns = [c.name for c in table.columns if c.kql_type in STRING_LIKE]
    other = [c.name for c in table.columns if c.kql_type not in STRING_LIKE]
    probes = []
    for index, identifiers in enumerate(IDENTIFIERS.values()):
        columns = text_columns[index::9][:3] or text_columns[:1]
        probes.append(EntityProbe(index, identifiers, tuple(columns)))
    hostile_columns = (*text_columns[-2:], *other[:2])
    probes.append(EntityProbe(100, HOSTILE, hostile_columns))
    probes.append(EntityProbe(101, (HOSTILE[0],), hostile_columns[:1]))
    return tuple(probes)


def _candidates(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if c.kql_type in CATEGORICAL)


def _issue12_shapes(table: Table, probes: tuple[EntityProbe, ...]) -> Iterator[tuple[str, str]]:
    """The table's activity per hour in the profile; entities scoped to a host (hostile)."""
    types = table.types
    hosts = tuple(c.name for c in table.columns if c.kql_type in STRING_LIKE)[:2]
    scoped = tuple(
        replace(probe, scope=Scope(HOSTILE[:3], hosts)) if i % 2 and hosts else probe
        for i, probe in enumerate(probes)
    )
    hourly = timedelta(hours=1)
    request = ProfileRequest(table.name, *SCAN, scoped, _candidates(table), activity_step=hourly)
    yield f"profile {table.name} activity + scopes", profile_query(request, types).query.text
    alone = ProfileRequest(table.name, *SCAN, (), (), activity_step=hourly)
    yield f"profile {table.name} activity only", profile_query(alone, types).query.text
    groups = tuple(
        SeriesGroup(p.entity, column, p.identifiers, DAILY if i % 2 else HOURLY, p.scope)
        for i, p in enumerate(scoped)
        for column in p.columns
    )
    columns = _candidates(table) or tuple(c.name for c in table.columns[:3])
    counts = counts_query(CountsRequest(table.name, groups, columns), types)
    yield f"counts {table.name} scopes", counts.text


def _shapes(tables: list[Table]) -> Iterator[tuple[str, str]]:
    yield "usage", usage_tables_query(*SCAN).text
    known = [t.name for t in tables]
    yield "schema all", schema_query([*known, "Missing_CL"]).text
    yield "schema odd", schema_query(["Odd_CL", "where"]).text
    for table in tables:
        probes = _probes(table)
        types = table.types
        yield (
            f"profile {table.name}",
            profile_query(
                ProfileRequest(table.name, *SCAN, probes, _candidates(table)), types
            ).query.text,
        )
        yield (
            f"profile {table.name} no candidates",
            profile_query(ProfileRequest(table.name, *SCAN, probes[:1], ()), types).query.text,
        )
        yield (
            f"profile {table.name} no probes",
            profile_query(
                ProfileRequest(table.name, *SCAN, (), _candidates(table)), types
            ).query.text,
        )
        yield from _issue12_shapes(table, probes)
        groups = tuple(
            SeriesGroup(probe.entity, column, probe.identifiers, DAILY if i % 2 else HOURLY)
            for i, probe in enumerate(probes)
            for column in probe.columns
        )
        columns = _candidates(table) or tuple(c.name for c in table.columns[:3])
        yield (
            f"counts {table.name}",
            counts_query(CountsRequest(table.name, groups, columns), types).text,
        )
        yield (
            f"counts {table.name} one group",
            counts_query(CountsRequest(table.name, groups[:1], columns[:1]), types).text,
        )
        series = [
            ChartSeries(
                f"{probe.entity} {column} = {HOSTILE[i % len(HOSTILE)]}",
                probe.columns[0],
                probe.identifiers,
                column,
                HOSTILE[i % len(HOSTILE)],
                DAILY if i % 3 else HOURLY,
            )
            for i, (probe, column) in enumerate(zip(probes, columns, strict=False))
        ]
        for window, text in chart_queries(table.name, series, types, threshold=1.5):
            yield f"chart {table.name} {window.step_label}", text
        for i, value in enumerate(HOSTILE[:4]):
            column = columns[i % len(columns)]
            yield (
                f"drilldown {table.name} {i}",
                drilldown_query(
                    table=table.name,
                    entity_column=probes[-2].columns[0],
                    identifiers=HOSTILE,
                    column=column,
                    column_types=types,
                    value=value,
                    bin_start=DAILY.test_bin_start,
                    step=DAILY.step,
                ),
            )


def test_every_query_shape_binds_without_errors(
    service: LanguageService, schemas_dir: Path
) -> None:
    tables = _tables(schemas_dir)
    shapes = list(_shapes(tables))
    failures = []
    for label, text in shapes:
        analysis = service.analyse(text)
        if analysis.errors:
            failures.append(f"{label}:\n{analysis.explain()}")
    assert len(shapes) > 200
    assert failures == [], "\n\n".join(failures[:5])
    print(f"language service {service.version}: {len(shapes)} queries, 0 errors")


def test_hostile_values_round_trip_through_the_query(service: LanguageService) -> None:
    table = Table(
        ODD_TABLE["name"],
        tuple(ColumnInfo(c["name"], normalize_kql_type(c["type"])) for c in ODD_TABLE["columns"]),
    )
    probe = EntityProbe(0, HOSTILE, ("my col", "where", "take", "payload"))
    plan = profile_query(ProfileRequest(table.name, *SCAN, (probe,), ("Type",)), table.types)
    analysis = service.analyse(plan.query.text)
    assert analysis.errors == (), analysis.explain()
    # Every identifier reaches the service intact, written once whatever the number of
    # columns searched (bracketed column names are string literals too, and so are the
    # query's own "0 " / "" flags and its number pattern: left out here).
    own = {"my col", "where", "take", "0 ", "", "([0-9]+)"}
    assert tuple(v for v in analysis.literals if v not in own) == HOSTILE
    # And the query has exactly the structure it has with harmless identifiers.
    harmless = EntityProbe(0, tuple(f"x{i}" for i in range(len(HOSTILE))), probe.columns)
    plain = profile_query(ProfileRequest(table.name, *SCAN, (harmless,), ("Type",)), table.types)
    assert analysis.shape == service.analyse(plain.query.text).shape


def test_counts_query_result_columns(service: LanguageService) -> None:
    group = SeriesGroup(0, "my col", HOSTILE, HOURLY)
    text = counts_query(
        CountsRequest("Odd_CL", (group,), ("where", "take", "g")),
        {
            "where": "string",
            "take": "long",
            "g": "string",
            "my col": "string",
        },
    ).text
    analysis = service.analyse(text)
    assert analysis.errors == (), analysis.explain()
    assert analysis.columns == ("e", "ec", "c", "v", "b")


def test_profile_query_result_columns(service: LanguageService) -> None:
    probe = EntityProbe(0, ("a", "b"), ("my col", "__alm0"))
    plan = profile_query(
        ProfileRequest("Odd_CL", *SCAN, (probe,), ("where", "rows")),
        {"my col": "string", "__alm0": "string", "where": "string", "rows": "long"},
    )
    analysis = service.analyse(plan.query.text)
    assert analysis.errors == (), analysis.explain()
    assert analysis.columns == ("rows", "d0", "d1", "e", "c", "h", "f")


def test_schema_query_result_columns(service: LanguageService) -> None:
    analysis = service.analyse(schema_query(["Odd_CL", "where", "Nope_CL"]).text)
    assert analysis.errors == (), analysis.explain()
    assert analysis.columns == ("TableName", "ColumnName", "ColumnType", "ColumnOrdinal")
    # The missing table is only a warning: the other tables still get their schema.
    assert [d.code for d in analysis.diagnostics] == ["KS205"]


def test_usage_query_result_columns(service: LanguageService) -> None:
    analysis = service.analyse(usage_tables_query(*SCAN).text)
    assert analysis.errors == (), analysis.explain()
    assert analysis.columns == ("DataType",)
