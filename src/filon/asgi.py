"""The ASGI application `filon serve` runs: Django's, behind a guard on the request body's size.

Django's ASGIHandler reads a request's whole body (into a temporary file once it passes
FILE_UPLOAD_MAX_MEMORY_SIZE) before any middleware runs, so a size check in a middleware would come after
the disk was written. `RequestSizeGuard` answers 413 before Django is called when the declared
Content-Length passes FILON_MAX_REQUEST_BYTES, and while Django reads a body that declared none (chunked)
as soon as the bytes received pass it: Django then sees the client gone and stops reading. `ThreadPool`
runs Django's synchronous code on a fixed pool of long-lived threads per process (FILON_SERVE_THREADS), and
`OneCallHandler` answers each request there in one call, as under WSGI.
"""

from __future__ import annotations

import gc
import json
import os
import queue
import threading
from concurrent.futures import Executor, Future
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

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


class _Lane(Executor):
    """One request's thread in a `ThreadPool`: the request's first synchronous call takes a free thread of
    the pool (or waits in line for one), and every later call runs on that same thread until `release`."""

    def __init__(self, pool: ThreadPool) -> None:
        self.pool = pool
        self.work: queue.SimpleQueue[_Call | None] | None = None

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        if self.work is None:
            self.work = queue.SimpleQueue()
            self.pool.waiting.put(self.work)
        self.work.put((future, fn, args, kwargs))
        return future

    def release(self) -> None:
        work, self.work = self.work, None
        if work is not None:
            work.put(None)  # the thread goes back to the pool once it has run what came before


_Call = tuple[Future[Any], Any, tuple[Any, ...], dict[str, Any]]


class ThreadPool:
    """Django's synchronous code of this process on a fixed pool of FILON_SERVE_THREADS long-lived threads,
    each request's on one of them.

    Django's ASGIHandler gives each request a thread of its own; under load that is as many threads as
    requests in flight, contending for the interpreter lock, and — the database connections being per
    thread — a connection opened and closed per request: the loan page's p95 was seconds. One thread per
    process kept the sync workers' persistent connection, but a kept-alive connection stays with the process
    that accepted it, so its clients queued behind that process's one thread while another process idled
    (bench/loan_detail.py, PostgreSQL, 2 cores, 3 processes, 20 clients: loan page p95 ~290 ms). A few
    threads that live as long as the process keep each its database connection (CONN_MAX_AGE) and its warm
    state, and let a busy process answer more than one request at a time. A request's thread is taken when
    its body has been read (a client trickling one holds no thread) and given back when its answer is
    handed to the event loop to send. The event loop still reads and writes every connection. Won against
    one thread per process on bench/loan_detail.py (PostgreSQL, 3 runs alternated, 10 s per page, a noisy
    2-core machine): loan page p95 208 ms against 885 (medians; p50 51 against 32 ms, 358 against 394 req/s),
    statement 186 against 404, API 190 against 417; every paired run's p95 lower, every p50 higher."""

    def __init__(self, app: Any, threads: int) -> None:
        self.app = app
        self.threads = threads
        self.waiting: queue.SimpleQueue[queue.SimpleQueue[_Call | None]] = queue.SimpleQueue()
        self.in_flight = 0
        for number in range(threads):
            threading.Thread(target=self._serve, name=f"django-{number}", daemon=True).start()

    def _serve(self) -> None:
        while True:
            work = self.waiting.get()
            while (call := work.get()) is not None:
                future, fn, args, kwargs = call
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # handed to the awaiting coroutine, as ThreadPoolExecutor does
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                del call, future, fn, args, kwargs

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lane = _Lane(self)

        async def send_releasing(message: Message) -> None:
            if message["type"] == "http.response.start" and self.in_flight > self.threads:
                # A kept-alive connection stays with the process that accepted it. While more requests are
                # in flight here than threads, the answer closes its connection: the client's next request
                # goes to whichever process accepts it, so clients do not pile up behind one busy process.
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"connection" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                lane.release()  # the view is done: a slow reader of the answer holds no thread
            await send(message)

        self.in_flight += 1
        try:
            async with ThreadSensitiveContext(executor=lane):
                await self.app(scope, receive, send_releasing)
        finally:
            lane.release()
            self.in_flight -= 1


class OneCallHandler(ASGIHandler):
    """Django's ASGIHandler, with each request answered in one call on its thread, as under WSGI.

    Django's own runs the request_started signal, the middleware chain and the view, and the response's
    close (request_finished) as three calls on the request's thread, each a round trip between the event
    loop and the thread, and watches for the client's disconnect in a task of its own (only an async view
    can be stopped by it; Filón's views are all synchronous). Here the request's body is read on the event
    loop as before; then one call on the request's thread runs the signal, the synchronous middleware chain
    (as WSGIHandler loads it) and the view, and — the answer being whole — closes the response; the event
    loop sends it. A streaming answer (a document, an export) is sent and closed as Django's handler does.

    Won on bench/loan_detail.py (SQLite, 20 clients, 3 processes of 4 threads, the 2-core machine shared,
    load 7 to 13, so read the server's CPU per request rather than the latency): 3.9 ms of CPU per loan
    page against 5.5 with Django's handler, 4.0 against 6.1 per statement, 3.6 against 7.0 per API call;
    gunicorn's sync workers on filon.wsgi took 4.3, 5.1 and 5.1 (every answer closes its connection)."""

    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _respond(self, scope: Scope, body_file: Any) -> HttpResponseBase:
        signals.request_started.send(sender=ASGIHandler, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = ASGIHandler  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        assert response is not None
        if not response.streaming:
            response.close()  # request_finished: the database connection is kept or closed (CONN_MAX_AGE)
        return response


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
django.setup(set_prefix=False)  # as get_asgi_application
application = ThreadPool(RequestSizeGuard(OneCallHandler()), settings.FILON_SERVE_THREADS)

# As in filon.wsgi: what the process loaded stays for its life, out of the garbage collector's generations.
gc.collect()
gc.freeze()
