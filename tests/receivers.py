"""Real notification receivers on loopback: an HTTP endpoint for Apprise's ``json://`` and an SMTP server
(aiosmtpd) for ``mailto://``, each keeping what it accepted."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from alerts.notifications import notification_ids
from storemon.broker import free_port


@dataclass
class Received:
    """What a receiver accepted, in order, each message with the notification ids it carries (one,
    or a digest's); ``failing`` decides per delivery whether to refuse it instead (500 or SMTP 451)."""

    failing: Callable[[], bool] = lambda: False
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, item: dict[str, Any]) -> bool:
        with self.lock:
            if self.failing():
                self.refused += 1
                return False
            item["ids"] = notification_ids(item["text"])
            self.accepted.append(item)
            return True

    @property
    def ids(self) -> list[str]:
        with self.lock:
            return [ident for item in self.accepted for ident in item["ids"]]


@contextmanager
def json_receiver(received: Received) -> Iterator[str]:
    """An HTTP endpoint taking Apprise's JSON POSTs; yields the ``json://`` URL that reaches it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            ok = received.take({"title": body["title"], "text": body["message"], "type": body["type"]})
            self.send_response(200 if ok else 500)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_port}/notify"
    finally:
        server.shutdown()
        server.server_close()


def plain_text(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


@contextmanager
def smtp_receiver(received: Received) -> Iterator[str]:
    """An SMTP server taking mail; yields the ``mailto://`` URL that sends there."""

    class Handler:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            message = message_from_bytes(envelope.original_content or b"")
            item = {"title": str(message["Subject"]), "text": plain_text(message), "to": envelope.rcpt_tos}
            return "250 OK" if received.take(item) else "451 try again later"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"mailto://127.0.0.1:{port}?from=storemon@example.test&to=ops@example.test"
    finally:
        controller.stop()
