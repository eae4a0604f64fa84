"""Real targets for the notification tests: an SMTP server and a JSON receiver on loopback."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pubreview.accounts.org import parse_org
from tests.conftest import SAMPLE_ORG
from tests.support.prefect_stack import free_port

SMTP_USER, SMTP_PASSWORD = "pubreview", "smtp-s3cret-pw"


@dataclass(frozen=True)
class Mail:
    """One message the SMTP server accepted, parsed."""

    to: list[str]
    subject: str
    text: str
    html: str


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with LOGIN/PLAIN auth (no TLS): stop it to play a dead server."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.envelopes.append(list(envelope.rcpt_tos))
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    @staticmethod
    def _auth(server, session, envelope, mechanism, data) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and data.password.decode() == SMTP_PASSWORD
        )
        return AuthResult(success=ok)

    def start(self) -> SmtpServer:
        """Listen (again) on the same port."""
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._auth,
            auth_require_tls=False,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mails(self) -> list[Mail]:
        """Every accepted message, parsed into subject, plain text and HTML."""
        out = []
        for to, msg in zip(self.envelopes, self.received, strict=True):
            text = msg.get_body(("plain",))
            html = msg.get_body(("html",))
            out.append(
                Mail(
                    to=to,
                    subject=str(msg["subject"]),
                    text=text.get_content() if text else "",
                    html=html.get_content() if html else "",
                )
            )
        return out

    def to(self, address: str) -> list[Mail]:
        """Messages addressed to one mailbox."""
        return [m for m in self.mails() if address in m.to]


class JsonReceiver:
    """An HTTP server taking Apprise's json:// posts, one list of bodies per path."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: dict[str, list[dict]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server hook
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.setdefault(self.path, []).append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> JsonReceiver:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()


def sample_people() -> list[dict]:
    """The sample organisation's people (username, name, email, roles)."""
    return parse_org(SAMPLE_ORG)[1]


def email_of(username: str) -> str:
    """A sample person's mailbox."""
    return next(p["email"] for p in sample_people() if p["username"] == username)


def apprise_yaml(
    smtp_port: int, json_port: int | None = None, json_for: tuple[str, ...] = ()
) -> str:
    """An Apprise YAML config: everyone by mail through the test SMTP server, some also by JSON."""
    lines = ["version: 1", "urls:"]
    for person in sample_people():
        tags = [person["username"]]
        tags += sorted({f"role:{role.value}" for _, role in person["roles"]})
        tags += sorted({f"unit:{unit}" for unit, _ in person["roles"]})
        url = (
            f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp_port}"
            f"?mode=insecure&from=pubreview@example.gov.cn&to={person['email']}"
        )
        lines += [f'  - "{url}":', f"      - tag: {', '.join(tags)}"]
        if person["username"] in json_for:
            lines += [
                f'  - "json://127.0.0.1:{json_port}/{person["username"]}":',
                f"      - tag: {person['username']}",
            ]
    return "\n".join(lines) + "\n"
