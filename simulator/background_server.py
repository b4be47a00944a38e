"""Serving a WSGI app on a free local port in a background thread, for tests and benchmarks."""

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class BackgroundServer:
    """A threaded werkzeug server; use it as a context manager, or call start() and stop()."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        # A short poll interval, so stop() returns at once rather than in half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://{host}:{self._server.server_port}"

    def start(self) -> "BackgroundServer":
        """Start answering requests and return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
