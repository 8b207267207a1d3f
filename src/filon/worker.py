"""The gunicorn worker `filon serve` runs: uvicorn's, serving filon.asgi on an event loop.

Gunicorn keeps what it is good at — the worker processes, restarting one that hangs (--timeout), graceful
restarts and shutdowns (--graceful-timeout), the access log. Each process reads requests on an event loop
(httptools' parser): a client that trickles its headers or its body holds a coroutine, not the process, so
a handful of slow clients cannot stop every page as they could the sync workers. Django's views run on a
fixed pool of FILON_SERVE_THREADS long-lived threads per process (filon.asgi.ThreadPool).

What a process allows a client, set by `filon serve` through the environment (see docs/deployment.md):
- FILON_HEADER_TIMEOUT seconds to send a request's headers, from the connection's start or from the last
  response on a kept-alive one (uvicorn has no such limit of its own; a client still sending them then is
  disconnected);
- gunicorn's --keep-alive seconds idle between requests;
- --worker-connections connections and requests at once (past it, 503), which bounds what slow bodies can
  hold; the body's size is bounded by filon.asgi.RequestSizeGuard.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

from filon.env import env_int

HEADER_TIMEOUT_ENV = "FILON_HEADER_TIMEOUT"


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for a request's headers."""

    header_timeout: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle now: the next request's headers are awaited
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        in_flight = self.cycle is not None and not self.cycle.response_complete
        if not in_flight and not self.transport.is_closing():
            self.transport.close()


class FilonWorker(UvicornWorker):
    """uvicorn's gunicorn worker on the standard asyncio loop, with httptools and the header deadline, and
    gunicorn's --worker-connections and --graceful-timeout passed on to uvicorn."""

    # Django has no ASGI lifespan events: "off" spares each process the probe and its log line.
    CONFIG_KWARGS = {
        "loop": "asyncio",
        "http": HeaderTimeoutProtocol,
        "lifespan": "off",
        "server_header": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        HeaderTimeoutProtocol.header_timeout = env_int(HEADER_TIMEOUT_ENV, 10)
        self.config.limit_concurrency = self.cfg.worker_connections
        self.config.timeout_graceful_shutdown = int(self.cfg.graceful_timeout)
