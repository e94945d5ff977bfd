"""The local backend's flat SQL (issue 13) against the row-by-row definition it replaces.

The profile and the counts now match the entity columns' distinct values, not the rows,
and confirm a match with a cheap ASCII pattern before the exact one. They must say exactly
what testing every row with the entity's whole-term pattern (``terms_regex``, Kusto's
``has``) says: many entities, identifiers inside each other, several entities in one value,
values that are not ASCII, null and empty values.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.backends.base import CountsRequest, EntityProbe, ProfileRequest, SeriesGroup
from lookup.backends.local import LocalBackend, terms_regex
from lookup.backends.local_sql import ascii_terms_regex
from lookup.models import EntityIndex, Window

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAILY = Window(T0, timedelta(days=1), 10)
HOURLY = Window(T0 + timedelta(days=7), timedelta(hours=1), 72)

#: Entities whose identifiers overlap: inside each other, sharing values, not ASCII.
ENTITIES: list[tuple[str, ...]] = [
    ("adele", "adele@contoso.com", "CONTOSO\\adele"),
    ("adele-pc", "adele-pc.contoso.com"),
    ("10.0.0.1",),
    ("10.0.0.10",),
    ("ユーザー",),
    ("josé", "JOSÉ@contoso.com"),
    ("kelvin",),
    ("(x|y)",),
    ("contoso.com",),
]
TEXTS = [
    "adele",
    "ADELE@contoso.com",
    "CONTOSO\\adele logged on to adele-pc from 10.0.0.1",
    "adele-pc.contoso.com",
    "xadele",
    "10.0.0.10",
    "10.0.0.1:443 and 10.0.0.10",
    "ユーザー@例え.jp",
    "管理ユーザー",
    "José@contoso.com",
    "josé",
    "Kelvin on ws",  # Kelvin sign: a letter, folds to k
    "ſkelvin",
    "(x|y) matched",
    "a.adele.b",
    "",
    None,
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("flat")
    rows = []
    for i in range(400):
        moment = T0 + timedelta(hours=i * 5 % 230, minutes=i % 60)
        rows.append(
            {
                "TimeGenerated": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "Who": TEXTS[i % len(TEXTS)],
                "Where": TEXTS[(i * 7 + 3) % len(TEXTS)],
                "Count": i % 3,
                "Action": ["Login", "Logout", "", None][i % 4],
                "Result": str(i % 5),
            }
        )
    (directory / "Flat_CL.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return directory


def _probes() -> tuple[EntityProbe, ...]:
    return tuple(
        EntityProbe(EntityIndex(i), ids, ("Who", "Where") if i % 2 else ("Where", "Who"))
        for i, ids in enumerate(ENTITIES)
    )


def test_profile_hits_equal_the_row_by_row_definition(workspace: Path) -> None:
    backend = LocalBackend(workspace)
    backend.table_schemas(["Flat_CL"])
    request = ProfileRequest(
        "Flat_CL", T0, T0 + timedelta(days=10), _probes(), ("Action", "Result", "Count")
    )
    profile = backend.profile(request)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    path = workspace / "Flat_CL.jsonl"
    found = 0
    for hit in profile.hits:
        pattern = terms_regex(ENTITIES[hit.entity]).replace("'", "''")
        column = hit.column
        expected = con.execute(
            f"SELECT count(*), min(CAST(TimeGenerated AS TIMESTAMP)) FROM read_json('{path}') "
            f"WHERE regexp_matches(\"{column}\", '{pattern}')"
        ).fetchone()
        assert expected is not None
        assert hit.hits == expected[0], (ENTITIES[hit.entity], column)
        if hit.hits:
            found += 1
            assert hit.first_seen == expected[1].replace(tzinfo=UTC)
    assert found >= 12
    assert profile.row_count == 400


def test_counts_equal_the_row_by_row_definition(workspace: Path) -> None:
    backend = LocalBackend(workspace)
    backend.table_schemas(["Flat_CL"])
    groups = tuple(
        SeriesGroup(EntityIndex(i), column, ids, DAILY if i % 3 else HOURLY)
        for i, ids in enumerate(ENTITIES)
        for column in ("Who", "Where")
    )
    request = CountsRequest("Flat_CL", groups, ("Action", "Result", "Count"))
    counts = backend.counts(request)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    path = workspace / "Flat_CL.jsonl"
    expected = set()
    for group in groups:
        pattern = terms_regex(group.identifiers).replace("'", "''")
        window = group.window
        for column in request.columns:
            rows = con.execute(
                f'SELECT CAST("{column}" AS VARCHAR), CAST(TimeGenerated AS TIMESTAMP) '
                f"FROM read_json('{path}') WHERE regexp_matches(\"{group.entity_column}\", "
                f"'{pattern}')"
            ).fetchall()
            bins: dict[tuple[str, datetime], int] = {}
            for value, moment in rows:
                moment = moment.replace(tzinfo=UTC)
                if value in (None, "") or not window.start <= moment < window.end:
                    continue
                start = window.start + window.step * ((moment - window.start) // window.step)
                bins[(value, start)] = bins.get((value, start), 0) + 1
            for (value, start), n in bins.items():
                expected.add((group.entity, group.entity_column, column, value, start, n))
    got = {
        (r.entity, r.entity_column, r.column, r.value, r.bin_start, r.count) for r in counts.rows
    }
    assert got == expected
    assert len(got) > 50


ALPHABET = st.sampled_from([*"aAkKsSé1 .-@\\", "\u212a", "\u017f", "ユ", "\u00a0", "_"])


@settings(max_examples=300, deadline=None)
@given(
    identifier=st.text(ALPHABET, min_size=1, max_size=4).filter(lambda t: t.strip()),
    text=st.text(ALPHABET, max_size=12),
)
def test_ascii_pattern_never_misses_and_is_exact_on_ascii(identifier: str, text: str) -> None:
    con = duckdb.connect()
    exact, fast = con.execute(
        "SELECT regexp_matches($1, $2), regexp_matches($1, $3)",
        [text, terms_regex([identifier]), ascii_terms_regex([identifier])],
    ).fetchone() or (None, None)
    if exact:
        assert fast
    if text.isascii():
        assert fast == exact
