"""A moto server that answers one request at a time, for concurrency tests.

moto's backends are not safe under concurrent requests, so a threaded moto
server could let two racing writes interleave inside moto and "win" together,
which real DynamoDB never allows. This server takes connections one by one and
closes each after its single request (HTTP/1.0, no keep-alive), so moto sees a
strict sequence of requests and every race between clients is decided by the
DynamoDB conditions of those requests, as in the real service.

The server runs in a daemon thread of the current process and shares moto's
in-process backends; it must not be used inside `mock_aws()`, which would
intercept the requests before they reach it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class _OneRequestPerConnection(MotoRequestHandler):
    """HTTP/1.0: the connection closes after its one request.

    Set on the class itself, because werkzeug switches a handler class to
    HTTP/1.1 (keep-alive) for good once any threaded server has used it, and a
    single-threaded server with keep-alive would serve one client until that
    client hangs up.
    """

    protocol_version = "HTTP/1.0"

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """One log line per DynamoDB call is noise; errors are still logged."""


@contextmanager
def serial_moto_server(host: str = "127.0.0.1") -> Iterator[str]:
    """Serve moto on a free port of `host` one request at a time; yields the endpoint URL."""
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, 0, app, threaded=False, processes=1, request_handler=_OneRequestPerConnection)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="serial-moto-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://{host}:{server.port}"
    finally:
        server.shutdown()  # returns once serve_forever has finished the request in hand
        thread.join(timeout=10)
        server.server_close()
