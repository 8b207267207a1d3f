"""Oversized bodies are refused before anything reads them: 413 in Spanish, nothing written to disk.

The 200 MB body is generated as it is read (never held in memory); the stream counts what the server
took from it and how much the upload handlers had written to the temporary directory meanwhile.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from django.core.asgi import get_asgi_application
from django.test import override_settings

from filon.wsgi import application

pytestmark = [pytest.mark.security, pytest.mark.django_db]

MB = 1024 * 1024
BOUNDARY = "filonlimite"


def _on_disk(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


class GeneratedMultipart:
    """A multipart body of `total` bytes (one file part of filler), produced as it is read."""

    def __init__(self, total: int, watched: Path) -> None:
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="grande.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.total = total
        self.position = 0
        self.watched = watched
        self.most_on_disk = 0

    def read(self, size: int = -1) -> bytes:
        self.most_on_disk = max(self.most_on_disk, _on_disk(self.watched))
        left = self.total - self.position
        size = left if size is None or size < 0 else min(size, left)
        out = bytearray()
        while len(out) < size:
            at = self.position + len(out)
            if at < len(self.head):
                out += self.head[at : at + size - len(out)]
            elif at >= self.total - len(self.tail):
                start = at - (self.total - len(self.tail))
                out += self.tail[start : start + size - len(out)]
            else:
                out += b"a" * min(size - len(out), self.total - len(self.tail) - at)
        self.position += len(out)
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:  # the WSGI input protocol; Django reads in blocks
        return self.read(size)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _wsgi_post(path: str, body: GeneratedMultipart, length: int) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "203.0.113.9",
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(length),
        "wsgi.input": body,
        "wsgi.url_scheme": "http",
        "wsgi.errors": __import__("sys").stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    status: list[str] = []
    chunks = application(environ, lambda s, headers, exc_info=None: status.append(s))
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return status[0], content


@pytest.mark.parametrize("path", ["/entrar/", "/api/v1/applicants"])
def test_an_anonymous_200_mb_multipart_post_is_refused_unread(path, tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    total = 200 * MB
    body = GeneratedMultipart(total, tmp_path)
    status, content = _wsgi_post(path, body, total)
    assert status.startswith("413"), (status, content[:300])
    assert body.position < MB, f"se leyeron {body.position:,} bytes del cuerpo"
    assert body.most_on_disk == 0
    assert _on_disk(tmp_path) == 0
    text = content.decode()
    assert "demasiado grande" in text
    if path.startswith("/api/"):
        detail = json.loads(text)["detail"][0]
        assert detail["field"] == "(documento)"


def test_a_body_just_under_the_limit_still_reaches_the_view(tmp_path, settings):
    """The cap is not a blanket refusal: a small anonymous post to the login page gets the page's answer."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    body = GeneratedMultipart(64 * 1024, tmp_path)
    status, _ = _wsgi_post("/entrar/", body, 64 * 1024)
    assert status.startswith("403")  # no CSRF token: the login page's own refusal, after reading the body
    assert body.position == 64 * 1024


def _asgi_post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    app = get_asgi_application()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("203.0.113.9", 5000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected until the answer is sent

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@override_settings(FILON_MAX_REQUEST_BYTES=256 * 1024, DATA_UPLOAD_MAX_MEMORY_SIZE=256 * 1024)
def test_a_body_without_content_length_is_bounded_as_it_is_read():
    """A chunked body (no Content-Length) cannot slip past the cap: the stream is bounded as it is read."""
    chunk = b" " * (64 * 1024)
    document = [b"{", *([chunk] * 16), b'"name": "x"}']
    status, content = _asgi_post("/api/v1/applicants", document, [(b"content-type", b"application/json")])
    assert status == 413, content[:300]
    assert "demasiado grande" in json.loads(content)["detail"][0]["message"]


def test_the_upload_views_take_a_file_larger_than_a_form(tmp_path, settings):
    """A 3 MB document to an upload view is past the form limit but within the upload limit: not a 413."""
    from filon.limits import body_limit

    upload = "/expedientes/1/requisitos/1/cargar/"
    assert body_limit(upload) == settings.FILON_MAX_REQUEST_BYTES
    assert body_limit("/entrar/") == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert body_limit("/api/v1/applicants") == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    body = GeneratedMultipart(3 * MB, tmp_path)
    status, _ = _wsgi_post(upload, body, 3 * MB)
    assert not status.startswith("413"), status
    assert body.position == 3 * MB  # read in full by the layers after the limit (here, the CSRF check)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FILON_MAX_REQUEST_BYTES", "10", "debe ser al menos FILON_MAX_UPLOAD_BYTES"),
        ("FILON_MAX_UPLOAD_BYTES", "0", "mayor que cero"),
        ("DATA_UPLOAD_MAX_MEMORY_SIZE", "1MB", "no es un número entero"),
    ],
)
def test_limits_that_cannot_work_stop_the_process(variable, value, message):
    import os
    import subprocess
    import sys

    environment = {**os.environ, variable: value, "FILON_SECRET_KEY": "prueba"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", "import filon.settings"], env=environment, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert message in done.stderr
