"""`filon serve` against clients that trickle their requests and bodies past the size limit.

The real server is started as a subprocess (its own SQLite database, migrated by `filon serve`, on a free
loopback port, two worker processes). More connections than workers then send their request a byte at a
time — POST bodies and headers — and an ordinary page must still answer within a second. A body larger than
FILON_MAX_REQUEST_BYTES is refused with 413 before it is read: on its Content-Length alone, with no byte of
the body sent, or as a chunked body once it passes the limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.conf import settings

pytestmark = [pytest.mark.security, pytest.mark.slow, pytest.mark.xdist_group("filon_serve")]

ROOT = Path(__file__).resolve().parents[2]
FILON = str(Path(sys.executable).parent / "filon")
WORKERS = 2
SLOW_BODIES = 2 * WORKERS
SLOW_HEADERS = 2 * WORKERS
TRICKLE_SECONDS = 0.5  # one byte per connection this often
HEADER_TIMEOUT = 2  # FILON_HEADER_TIMEOUT for the test server
KEEPALIVE = 1  # FILON_KEEPALIVE_SECONDS for the test server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=f"sqlite:///{root / 'filon.sqlite3'}",
        FILON_DEBUG="0",
        FILON_SECRET_KEY="filon-slow-clients-test-key-not-secret-0123456789abcdef",
        FILON_SECURE_COOKIES="0",  # plain HTTP on the loopback, as the demo
        FILON_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        FILON_KEEPALIVE_SECONDS=str(KEEPALIVE),
        FILON_VAR_DIR=str(root),
        FILON_MEDIA_ROOT=str(root / "media"),
        FILON_STATIC_ROOT=str(root / "static"),
        PYTHONPATH=str(ROOT / "src"),
    )
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [FILON, "serve", "--address", f"127.0.0.1:{port}", "--workers", str(WORKERS)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(port, process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"filon serve no respondió en {running.base}:\n{running.tail()}")
            try:
                if httpx.get(f"{running.base}/entrar/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        for _ in range(5 * WORKERS):  # each process has rendered the page once: the tests time warm ones
            httpx.get(f"{running.base}/entrar/", timeout=10)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass
class Tricklers:
    """Connections that each send one more byte every TRICKLE_SECONDS, from a thread, until stopped."""

    sockets: list[socket.socket] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(TRICKLE_SECONDS):
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # the server may close it; it only must not stall others
                    sock.sendall(b"a")


@pytest.fixture
def tricklers() -> Iterator[Tricklers]:
    slow = Tricklers()
    thread = threading.Thread(target=slow.run, daemon=True)
    thread.start()
    yield slow
    slow.stop.set()
    thread.join()
    for sock in slow.sockets:
        sock.close()


def _response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response read off the socket: status, headers (lower-case names) and body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"la conexión se cerró sin respuesta completa: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def _seconds_until_closed(sock: socket.socket, began: float) -> float:
    """Reads and drops what the server sends until it closes the connection; the seconds since `began`."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - began


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_an_ordinary_page_answers_while_more_clients_than_workers_trickle(server, tricklers):
    for _ in range(SLOW_BODIES):
        sock = server.connect()
        sock.sendall(
            b"POST /entrar/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nusername="
        )
        tricklers.sockets.append(sock)
    for _ in range(SLOW_HEADERS):
        sock = server.connect()
        sock.sendall(b"GET /entrar/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lento: ")
        tricklers.sockets.append(sock)
    time.sleep(3 * TRICKLE_SECONDS)  # every slow connection has been taken up and sent a few bytes

    times = []
    for _ in range(3):
        began = time.monotonic()
        try:
            page = httpx.get(f"{server.base}/entrar/", timeout=5)
        except httpx.TimeoutException:
            pytest.fail(
                f"con {SLOW_BODIES + SLOW_HEADERS} clientes lentos y {WORKERS} procesos, la página de "
                f"entrada no respondió en 5 s"
            )
        times.append(time.monotonic() - began)
        assert page.status_code == 200
        assert "csrfmiddlewaretoken" in page.text
    assert max(times) < 1.0, times
    assert server.process.poll() is None


def test_a_client_too_slow_with_its_headers_is_disconnected(server, tricklers):
    sock = server.connect()
    sock.settimeout(HEADER_TIMEOUT + 5)
    began = time.monotonic()
    sock.sendall(b"GET /entrar/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lento: ")
    tricklers.sockets.append(sock)  # still sending a byte every half second
    try:
        waited = _seconds_until_closed(sock, began)
    except TimeoutError:
        pytest.fail(f"una conexión que no termina sus encabezados siguió abierta {HEADER_TIMEOUT + 5} s")
    assert HEADER_TIMEOUT - 0.5 <= waited < HEADER_TIMEOUT + 2


def test_an_idle_kept_alive_connection_is_closed_and_a_finished_one_answered(server):
    with server.connect() as sock:
        sock.settimeout(KEEPALIVE + HEADER_TIMEOUT + 5)
        sock.sendall(b"GET /entrar/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, _ = _response(sock)
        assert status == 200
        began = time.monotonic()
        try:
            waited = _seconds_until_closed(sock, began)
        except TimeoutError:
            pytest.fail("una conexión ociosa tras su respuesta siguió abierta")
        assert waited < KEEPALIVE + 2


def _max_request_bytes() -> int:
    return int(getattr(settings, "FILON_MAX_REQUEST_BYTES", 25 * 1024 * 1024))


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/entrar/", "application/x-www-form-urlencoded"), ("/api/v1/loans", "application/json")],
)
def test_a_declared_body_past_the_limit_is_refused_before_a_byte_of_it_is_sent(server, path, content_type):
    with server.connect() as sock:
        sock.settimeout(5)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {_max_request_bytes() + 1}\r\n\r\n".encode()
        )
        try:
            status, headers, body = _response(sock)  # no byte of the body was sent
        except TimeoutError:
            pytest.fail(f"POST {path}: el servidor esperó el cuerpo en lugar de rechazarlo")
        assert status == 413
        if path.startswith("/api/"):
            assert headers["content-type"].startswith("application/json")
            detail = json.loads(body)["detail"][0]
            assert "demasiado grande" in detail["message"]
        else:
            assert headers["content-type"].startswith("text/html")
            assert "demasiado grande" in body.decode()
        assert _closed_by_server(sock)
    assert httpx.get(f"{server.base}/entrar/", timeout=5).status_code == 200


def test_a_chunked_body_is_refused_once_it_passes_the_limit(server):
    limit = _max_request_bytes()
    with server.connect() as sock:
        sock.settimeout(10)
        sock.sendall(
            b"POST /entrar/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        piece = 1024 * 1024
        sent = 0
        while sent <= limit:  # the body is never finished: the server must answer once it passes the limit
            size = min(piece, limit + 1 - sent)
            sock.sendall(f"{size:x}\r\n".encode() + b"x" * size + b"\r\n")
            sent += size
        try:
            status, _, body = _response(sock)
        except TimeoutError:
            pytest.fail("el servidor siguió esperando un cuerpo que ya pasó el límite")
        assert status == 413
        assert "demasiado grande" in body.decode()
    assert httpx.get(f"{server.base}/entrar/", timeout=5).status_code == 200
