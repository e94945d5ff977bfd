"""The work of one queue message: list entities if needed, look up, render, comment.

:func:`run_work_item` is what the queue trigger runs for a decoded :class:`WorkItem`;
:func:`failure_note` is the comment the poison handler leaves when every try failed.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lookup.drilldown import portal_link
from lookup.functionapp.budget import Budget
from lookup.functionapp.clients import Services
from lookup.functionapp.messages import WorkItem
from lookup.functionapp.settings import AppSettings
from lookup.models import Incident, SkippedEntity
from lookup.observability import log_event, timed_step
from lookup.sentinel.comments import CommentWrite, IncidentRef, SentinelIncidents
from lookup.timefmt import iso
from lookup.untrusted import is_unicode, printable

if TYPE_CHECKING:
    from lookup.report import Report

log = logging.getLogger(__name__)

#: Portal of each Azure cloud, by the host of its Resource Manager endpoint.
_PORTALS = {
    "management.azure.com": "https://portal.azure.com",
    "management.usgovcloudapi.net": "https://portal.azure.us",
    "management.chinacloudapi.cn": "https://portal.azure.cn",
}


@dataclass(frozen=True)
class LookupOutcome:
    """What the worker did for one incident."""

    item: WorkItem
    report: Report
    comment: str
    write: CommentWrite
    entities_listed: bool


def comment_links(report: Report, target: IncidentRef, settings: AppSettings) -> dict[int, str]:
    """Log Analytics portal links of the drill-down queries, by anomaly rank.

    Only the ranks the comment can show are linked; the portal follows the cloud of
    ``settings.arm_endpoint``.
    """
    host = settings.arm_endpoint.split("://", 1)[-1].split("/", 1)[0].lower()
    portal = _PORTALS.get(host, _PORTALS["management.azure.com"])
    links = {}
    for anomaly in report.anomalies[: settings.lookup.max_anomalies]:
        if anomaly.drilldown_kql:
            links[anomaly.rank] = portal_link(
                anomaly.drilldown_kql,
                target.workspace_arm_id,
                timespan=(anomaly.bin_start, anomaly.bin_start + anomaly.step),
                portal=portal,
            )
    return links


def run_work_item(
    item: WorkItem, settings: AppSettings, services: Services, budget: Budget | None = None
) -> LookupOutcome:
    """List entities if needed, run the lookup, render and write the comment.

    ``budget`` is the invocation's deadline (a fresh :meth:`Budget.start` when omitted):
    the lookup's time budget is cut to leave room for the comment, and every Sentinel call
    gets the time left as its deadline.

    Raises:
        SinkError: listing entities or writing the comment failed (after retries);
            ``permanent`` says whether another try could succeed.
        WorkspaceError: the workspace cannot be queried at all.
        AnomalyLookupError: any other failure of the lookup.
    """
    from lookup.engine import run_lookup
    from lookup.render import render_comment_html

    budget = budget or Budget.start()
    ids: dict[str, Any] = {"tracking_id": item.tracking_id, "incident": item.target.arm_id}
    incident = item.incident
    sentinel = services.incidents(item.target.subscription_id)
    listed = False
    if not item.has_entities:
        incident = _listed_entities(item, sentinel, budget, ids)
        listed = True
    log_event(
        log,
        logging.DEBUG,
        "entities",
        **ids,
        values="; ".join(f"{e.kind}:{e.value}" for e in incident.entities),
    )
    with timed_step(log, "lookup", **ids, workspace=item.workspace_id) as step:
        backend = services.backend(item.workspace_id)
        lookup_settings = budget.lookup_settings(settings.lookup)
        report = run_lookup(incident, backend, settings=lookup_settings)
        incomplete = [t for t in report.tables if t.status in {"failed", "partial", "skipped"}]
        step.update(
            entities=len(incident.entities),
            tables=len(report.tables),
            incomplete_tables=len(incomplete),
            queries=report.stats.queries,
            retries=report.stats.retries,
            rows=report.stats.rows_returned,
            series=report.stats.series_scored,
            anomalies=len(report.anomalies),
            time_budget=lookup_settings.time_budget_seconds,
        )
    with timed_step(log, "comment rendered", **ids) as step:
        message = render_comment_html(report, links=comment_links(report, item.target, settings))
        step.update(chars=len(message))
    with timed_step(log, "comment written", **ids, comment_id=item.comment_id) as step:
        write = sentinel.write_comment(item.target, message, deadline=budget.deadline)
        step.update(status=write.status, created=write.created)
    return LookupOutcome(item, report, message, write, listed)


def _listed_entities(
    item: WorkItem, sentinel: SentinelIncidents, budget: Budget, ids: dict[str, Any]
) -> Incident:
    """The incident with the entities the list-entities API gives it.

    Entities whose text is not valid Unicode (a lone surrogate escape in the answer) are
    skipped with that reason: no query or comment could carry them.
    """
    from lookup.entities import entities_from_payload

    with timed_step(log, "entities listed", **ids) as step:
        response = sentinel.list_entities(item.target, deadline=budget.deadline)
        found, skipped = entities_from_payload(response.get("entities") or [])
        usable = tuple(e for e in found if all(map(is_unicode, (e.value, *e.identifiers))))
        unusable = tuple(
            SkippedEntity(str(e.kind), "not valid Unicode text", printable(e.value)[:200])
            for e in found
            if e not in usable
        )
        step.update(entities=len(usable), skipped=len(skipped) + len(unusable))
    return replace(item.incident, entities=usable, skipped_entities=(*skipped, *unusable))


def failure_note(item: WorkItem, attempts: int | None) -> str:
    """The short comment left when every try failed (HTML, like the enrichment).

    Every value is escaped: a queue message can be crafted, tracking id included.
    """
    tries = f"after {int(attempts)} attempts " if attempts else ""
    tracking = html.escape(printable(item.tracking_id)[:100], quote=True)
    received = html.escape(iso(item.received_at), quote=True)
    return (
        f"<p><b>Anomaly lookup failed</b> for this incident {tries}"
        f"(tracking id {tracking}, received {received}).<br>\n"
        "The enrichment will replace this note when the lookup runs again, for example when "
        "the playbook is re-run on the incident.<br>\n"
        "<small>Operators: search the function app's logs for the tracking id.</small></p>"
    )
