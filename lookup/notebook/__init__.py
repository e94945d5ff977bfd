"""The lookup in an analyst's notebook: pandas in and out, Jupyter display, plots, Sentinel.

Everything here is for notebooks (the ``[notebook]`` extra: pandas, matplotlib) and none of
it is imported by the function app. pandas and matplotlib are imported on call, so
``lookup_incident`` works with the ``[azure]`` extra alone.

* :class:`~lookup.backends.dataframes.DataFrameBackend` -- the lookup over DataFrames
  (msticpy ``QueryProvider`` results, ``LogsQueryClient`` tables, files read with pandas),
  with the DuckDB backend's queries: same rows, same anomalies, same scores;
* ``report.to_dataframe()`` / ``report.tables_dataframe()`` (:mod:`~lookup.notebook.frames`)
  -- the findings and the table statuses as DataFrames;
* a report as a cell's value shows the incident comment's HTML
  (:mod:`~lookup.notebook.display`);
* :func:`plot_finding` (:mod:`~lookup.notebook.plot`) -- a finding's series, baseline and
  test bin;
* :func:`lookup_incident` (:mod:`~lookup.notebook.incident`) -- an incident of a real
  workspace, by id or number, looked up on Log Analytics in one call.
"""

from __future__ import annotations

from lookup.backends.dataframes import DataFrameBackend
from lookup.notebook.incident import IncidentError, Workspace, lookup_incident
from lookup.notebook.plot import plot_finding

__all__ = ["DataFrameBackend", "IncidentError", "Workspace", "lookup_incident", "plot_finding"]
