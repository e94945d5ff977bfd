"""The error hierarchy of the anomaly lookup.

Every failure the package raises on purpose is an :class:`AnomalyLookupError`, so callers
(the CLI, the function app) can tell a bad input or an unreachable service from a bug.
Errors are chained with ``raise ... from`` so the original cause stays visible.
"""

from __future__ import annotations


class AnomalyLookupError(Exception):
    """Base class for every error the lookup raises on purpose."""


class PayloadError(AnomalyLookupError, ValueError):
    """An incident payload is malformed.

    ``field`` names the JSON path of the missing or malformed field (for example
    ``object.properties.relatedEntities[2].kind``) so the HTTP trigger can answer 400 with it.
    ``value`` is the offending string as posted, when there is one: callers that know the
    whole document use it to find where the value sits (see ``with_field``).
    """

    def __init__(self, field: str, message: str, *, value: str | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.value = value

    def with_field(self, field: str) -> PayloadError:
        """The same error reported at another JSON path."""
        return PayloadError(field, self.message, value=self.value)


class SettingsError(AnomalyLookupError, ValueError):
    """A setting (environment variable or CLI option) has an invalid value."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class WorkspaceError(AnomalyLookupError):
    """The workspace (a local directory or a Log Analytics workspace) cannot be used at all."""


class TableError(AnomalyLookupError):
    """One table could not be analysed; the lookup records it and carries on."""

    def __init__(self, table: str, message: str) -> None:
        super().__init__(f"{table}: {message}")
        self.table = table
        self.message = message


class QueryError(AnomalyLookupError):
    """A backend query failed (after any retries)."""

    def __init__(self, message: str, *, query: str | None = None, status: int | None = None):
        super().__init__(message)
        self.query = query
        self.status = status


class ThrottledError(QueryError):
    """The service kept answering 429 after the allowed retries."""


class BudgetExceededError(AnomalyLookupError):
    """The per-incident time budget ran out before this piece of work could start."""


#: HTTP statuses a retry cannot change: the request itself is refused (not the caller's
#: identity, 401/403, which a token refresh or a role assignment still propagating fixes;
#: not 408/429, which say "later").
_TRANSIENT_CLIENT_ERRORS = frozenset({401, 403, 408, 429})


class SinkError(AnomalyLookupError):
    """The report could not be delivered (for example the Sentinel comment PUT failed).

    ``permanent`` says whether sending the same request again can succeed: by default a
    4xx status other than 401, 403, 408 and 429 is permanent, anything else (5xx, no
    answer, time out) is not.
    """

    def __init__(
        self, message: str, *, status: int | None = None, permanent: bool | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        if permanent is None:
            permanent = (
                status is not None
                and 400 <= status < 500
                and status not in _TRANSIENT_CLIENT_ERRORS
            )
        self.permanent = permanent
