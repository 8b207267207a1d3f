"""The ASGI application `filon serve` runs: Django's, behind a guard on the request body's size.

Django's ASGIHandler reads a request's whole body (into a temporary file once it passes
FILE_UPLOAD_MAX_MEMORY_SIZE) before any middleware runs, so a size check in a middleware would come after
the disk was written. `RequestSizeGuard` answers 413 before Django is called when the declared
Content-Length passes FILON_MAX_REQUEST_BYTES, and while Django reads a body that declared none (chunked)
as soon as the bytes received pass it: Django then sees the client gone and stops reading. `OneThread`
runs Django's synchronous code of every request of the process on one thread, as the sync workers did.
"""

from __future__ import annotations

import gc
import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.core.asgi import get_asgi_application

Scope = dict[str, Any]
Message = dict[str, Any]
DEFAULT_MAX_REQUEST_BYTES = 25 * 1024 * 1024


def max_request_bytes() -> int:
    return int(getattr(settings, "FILON_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def _size(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:,.0f} MB" if megabytes >= 1 else f"{limit:,} bytes"


def too_large_response(path: str, limit: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The 413 answer: JSON under /api/ (the API's error shape), a short page elsewhere; in Spanish."""
    message = f"La solicitud es demasiado grande: el máximo es {_size(limit)}."
    if path.startswith("/api/"):
        body = json.dumps(
            {"detail": [{"field": "(documento)", "message": message, "rule": None}]}, ensure_ascii=False
        ).encode()
        content_type = b"application/json; charset=utf-8"
    else:
        body = (
            '<!doctype html><html lang="es-MX"><head><meta charset="utf-8">'
            "<title>Solicitud demasiado grande</title></head>"
            f"<body><h1>Solicitud demasiado grande</h1><p>{message}</p></body></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return headers, body


class RequestSizeGuard:
    """Wraps an ASGI application: a request body past the limit is answered 413 and never reaches it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max_request_bytes()
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(scope, send, limit)
                return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await self._refuse(scope, send, limit)
                    return {"type": "http.disconnect"}  # Django drops what it read and answers nothing
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)

    @staticmethod
    async def _refuse(scope: Scope, send: Any, limit: int) -> None:
        headers, body = too_large_response(scope["path"], limit)
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class OneThread:
    """Django's synchronous code for every request of this process on one thread, one request at a time.

    Django's ASGIHandler gives each request a thread of its own; under load that is as many threads as
    requests in flight, contending for the interpreter lock (two sync processes answered the loan page
    half again as fast as two processes of four threads), and — the database connections being per
    thread — a connection opened and closed per request. One thread per process is the sync workers'
    model, with their persistent database connection, while the event loop still reads and writes every
    connection."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="django")
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing_when_busy(message: Message) -> None:
            # A kept-alive connection stays with the process that accepted it. While other requests wait
            # here for the thread, the answer closes its connection: the client's next request goes to
            # whichever process accepts it, so clients do not pile up behind one busy process.
            if message["type"] == "http.response.start" and self.in_flight > 1:
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"connection" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        self.in_flight += 1
        try:
            async with ThreadSensitiveContext(executor=self.executor):
                await self.app(scope, receive, send_closing_when_busy)
        finally:
            self.in_flight -= 1


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
application = OneThread(RequestSizeGuard(get_asgi_application()))

# As in filon.wsgi: what the process loaded stays for its life, out of the garbage collector's generations.
gc.collect()
gc.freeze()
