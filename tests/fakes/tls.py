"""Serving a fake Azure endpoint on 127.0.0.1 over HTTPS, as the Azure SDK clients require.

The SDK refuses bearer tokens over plain HTTP, so every fake runs behind TLS with a
throwaway certificate authority made for the test (trustme); clients trust it through
``connection_verify=<ca_path>``.
"""

from __future__ import annotations

import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import trustme


@dataclass(frozen=True)
class Served:
    """Where a running fake answers, and the CA file that makes clients trust it."""

    endpoint: str
    ca_path: str


@contextmanager
def serve_https(
    server: ThreadingHTTPServer, *, before_stop: Callable[[], None] | None = None
) -> Iterator[Served]:
    """Run ``server`` (bound to 127.0.0.1) over TLS in a thread until the block ends."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    with tempfile.TemporaryDirectory() as tmp:
        ca_path = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        thread.start()
        try:
            yield Served(f"https://127.0.0.1:{server.server_address[1]}", str(ca_path))
        finally:
            if before_stop is not None:
                before_stop()
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
