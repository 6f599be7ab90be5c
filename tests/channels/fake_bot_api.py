"""A fake Telegram Bot API for tests: a real HTTP server on 127.0.0.1 at a random port. It
records every call, answers `sendMessage` as Telegram does, and can be told to fail the
next N calls (with a status, or by dropping the connection)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Call:
    token: str
    method: str
    body: dict[str, Any]
    status: int  # what the fake answered (0: dropped the connection)


@dataclass
class FakeBotApi:
    url: str
    calls: list[Call] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, status: int = 500) -> None:
        """The next `count` calls answer `status` (0: the connection is dropped)."""
        with self.lock:
            self.failures.extend([status] * count)

    def delivered(self) -> list[dict[str, Any]]:
        """The messages Telegram took (answered 200), in order."""
        with self.lock:
            return [c.body for c in self.calls if c.status == 200]

    def texts(self) -> list[str]:
        return [str(b["text"]) for b in self.delivered()]

    def _next(self) -> int:
        with self.lock:
            return self.failures.pop(0) if self.failures else 200


def _handler(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            _, bot, method = self.path.split("/", 2)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            status = api._next()
            with api.lock:
                api.calls.append(Call(bot.removeprefix("bot"), method, body, status))
            if status == 0:
                self.close_connection = True
                self.connection.close()
                return
            self._answer(status, body)

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            if status == 200:
                doc: dict[str, Any] = {"ok": True, "result": {"message_id": len(api.calls),
                                       "chat": {"id": body.get("chat_id"), "type": "private"},
                                       "date": 0, "text": body.get("text")}}  # fmt: skip
            elif status == 429:
                doc = {"ok": False, "error_code": 429, "description": "Too Many Requests",
                       "parameters": {"retry_after": 3}}  # fmt: skip
            else:
                doc = {"ok": False, "error_code": status, "description": "failure"}
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet: the test output stays readable

    return Handler


@contextmanager
def fake_bot_api() -> Iterator[FakeBotApi]:
    """Run the fake on 127.0.0.1 at a free port for the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(FakeBotApi(url="")))
    api = FakeBotApi(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(api)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
