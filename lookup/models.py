"""Value objects shared across the lookup: incidents, entities, windows and findings.

Everything here is a frozen dataclass with plain Python types, so modules exchange data
without magic DataFrame columns and results can be compared and hashed in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, NewType, get_args

#: Position of an entity in ``Incident.entities``: how backends and the engine refer to it.
EntityIndex = NewType("EntityIndex", int)

#: ``Settings.step``: the engine chooses per entity (``auto``), or one step for all.
StepChoice = Literal["auto", "1d", "1h"]
STEP_CHOICES: tuple[StepChoice, ...] = get_args(StepChoice)

#: ``Settings.bin_alignment``: bins end at the alert (``alert``), or on calendar boundaries.
BinAlignment = Literal["alert", "calendar"]
BIN_ALIGNMENTS: tuple[BinAlignment, ...] = get_args(BinAlignment)


@dataclass(frozen=True)
class ColumnInfo:
    """A table column and its KQL type (``string``, ``long``, ``datetime``, ``dynamic``...)."""

    name: str
    kql_type: str


class EntityKind(StrEnum):
    """Sentinel entity kinds the lookup searches for (the payload's ``kind`` values).

    The identifiers and columns of each kind are data: :mod:`lookup.entity_kinds` and
    :mod:`lookup.entity_columns`.
    """

    ACCOUNT = "Account"
    HOST = "Host"
    IP = "Ip"
    URL = "Url"
    FILE_HASH = "FileHash"
    PROCESS = "Process"
    MAILBOX = "Mailbox"
    CLOUD_APPLICATION = "CloudApplication"
    AZURE_RESOURCE = "AzureResource"
    DNS_RESOLUTION = "DnsResolution"
    FILE = "File"
    MAIL_MESSAGE = "MailMessage"
    SUBMISSION_MAIL = "SubmissionMail"
    REGISTRY_KEY = "RegistryKey"
    REGISTRY_VALUE = "RegistryValue"
    SECURITY_GROUP = "SecurityGroup"
    IOT_DEVICE = "IoTDevice"
    MALWARE = "Malware"
    NIC = "Nic"


@dataclass(frozen=True)
class Entity:
    """One incident entity and the strings it can appear as in log data.

    ``value`` is the display value (the most specific identifier, e.g. the UPN);
    ``identifiers`` lists every search term, most specific first, without duplicates
    (case-insensitively), and always contains ``value``.
    """

    kind: EntityKind
    value: str
    identifiers: tuple[str, ...]
    #: Identifiers of the host the entity lives on (a Process or File entity with a host,
    #: or a File that a Process on a host runs): only rows on that host are the entity's.
    scope: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedEntity:
    """An entity of the payload that is not searched, with the reason (shown in the report)."""

    kind: str
    reason: str
    name: str | None = None


@dataclass(frozen=True)
class WorkspaceRef:
    """Where an incident lives: the Log Analytics workspace and its ARM coordinates."""

    workspace_id: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    workspace_name: str | None = None

    @property
    def arm_id(self) -> str | None:
        """The workspace's ARM resource id, when all coordinates are known."""
        if not (self.subscription_id and self.resource_group and self.workspace_name):
            return None
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{self.workspace_name}"
        )


@dataclass(frozen=True)
class Incident:
    """An incident as the lookup needs it, whatever payload shape it arrived in."""

    alert_time: datetime
    alert_time_source: str
    entities: tuple[Entity, ...]
    skipped_entities: tuple[SkippedEntity, ...] = ()
    arm_id: str | None = None
    name: str | None = None
    number: int | None = None
    title: str | None = None
    severity: str | None = None
    url: str | None = None
    workspace: WorkspaceRef = field(default_factory=WorkspaceRef)


@dataclass(frozen=True)
class Window:
    """A series window: ``bins`` equal bins of ``step`` starting at ``start``.

    The last bin is the test bin (the bin holding the alert time); ``end`` is exclusive.
    """

    start: datetime
    step: timedelta
    bins: int

    @property
    def end(self) -> datetime:
        """Exclusive end of the last bin."""
        return self.start + self.step * self.bins

    @property
    def test_bin_start(self) -> datetime:
        """Start of the last (test) bin."""
        return self.start + self.step * (self.bins - 1)

    def bin_starts(self) -> list[datetime]:
        """Start time of every bin, oldest first."""
        return [self.start + self.step * i for i in range(self.bins)]

    @property
    def step_label(self) -> str:
        """The step as Kusto writes it: ``1d``, ``1h``, ``30m``."""
        return timespan_label(self.step)


def timespan_label(step: timedelta) -> str:
    """Format a timedelta as a Kusto timespan literal (``1d``, ``6h``, ``15m``, ``30s``)."""
    seconds = int(step.total_seconds())
    if seconds <= 0 or step.total_seconds() != seconds:
        raise ValueError(f"unsupported step {step!r}")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


#: What happened to a table: analysed (``ok``), no entity found in it (``no_match``), only
#: part of the data scanned (``partial``), an error (``failed``), or not started before the
#: time budget ran out (``skipped``).
TableStatus = Literal["ok", "no_match", "partial", "failed", "skipped"]
TABLE_STATUSES: tuple[TableStatus, ...] = get_args(TableStatus)


@dataclass(frozen=True)
class TableResult:
    """What happened to one table during the lookup."""

    table: str
    status: TableStatus
    entity_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    categorical_columns: tuple[str, ...] = ()
    error: str | None = None
    row_count: int | None = None
    series_scored: int = 0
    #: What the reader should know about the table's data even when it was analysed:
    #: collection gaps ("gap: 12 of 14 daily bins had no data"), too little history.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Anomaly:
    """One anomalous value: its count in the test bin is unusually high for the entity."""

    rank: int
    entity: str
    entity_kind: str
    table: str
    entity_column: str
    column: str
    value: str
    bin_start: datetime
    step: timedelta
    actual: float
    expected: float
    score: float
    series: tuple[float, ...]
    drilldown_kql: str
    first_seen: bool = False
    #: Other (column, value) pairs of the same entity and table whose rows in the test bin
    #: are the same rows as this one's (proven by the counts' fingerprints, see
    #: :mod:`lookup.folding`): EventID and Activity, Operation and RecordType, folded into
    #: this row instead of repeated.
    related: tuple[tuple[str, str], ...] = ()
    #: Bins of ``series`` left out of the baseline: before the entity's first sighting in
    #: the table, or collection gaps of the table (see :mod:`lookup.baselines`).
    excluded_bins: tuple[int, ...] = ()
    #: Other (column, value) pairs of the same entity whose series is identical to this one
    #: but whose rows were not proven to be the same ("moved in step with").
    in_step: tuple[tuple[str, str], ...] = ()
    #: (entity, entity kind, column, value) of other entities' findings that are the same
    #: rows as this one: the row names every entity that reaches them.
    also: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def excess(self) -> float:
        """How far the test bin is above the baseline."""
        return self.actual - self.expected
