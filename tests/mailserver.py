"""Real mail servers on loopback for the tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Dovecot runs from Debian's `dovecot-imapd` with its own configuration in a
temporary folder: plain authentication from a passwd-file, no TLS, a free port
on 127.0.0.1, maildir storage. It is ready in a few hundredths of a second; the
tests wait for its `* OK` greeting, not just for the port to open.

`FaultyProxy` stands between the bot and Dovecot to play the faults a real
server shows: it can refuse `CHARSET` in SEARCH, or drop the connection in the
middle of a FETCH.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from imap_tools import MailBoxUnencrypted

STARTUP_SECONDS = 10.0

DOVECOT_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
first_valid_gid = 0
{users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _service_users() -> str:
    """Let Dovecot run without root: every service as the user running the tests."""
    if os.getuid() == 0:
        return ""
    name = pwd.getpwuid(os.getuid()).pw_name
    return f"default_internal_user = {name}\ndefault_login_user = {name}\n"


def _mail_owner() -> tuple[int, int]:
    """Return who owns the mail: `nobody` under root (Dovecot refuses uid 0)."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_greeting(port: int, greeting: bytes, deadline: float) -> None:
    """Wait until a server on `port` sends a line starting with `greeting`."""
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as client:
                if client.recv(200).startswith(greeting):
                    return
        except OSError as err:
            last_error = err
        time.sleep(0.02)
    raise RuntimeError(f"no {greeting!r} greeting on port {port}: {last_error}")


class Dovecot:
    """A throw-away Dovecot IMAP server with one folder tree per user."""

    def __init__(self, users: dict[str, str]) -> None:
        # Not under pytest's folders: those are private (0700) to the user
        # running the tests, and Dovecot's own processes must get through.
        self.root = Path(tempfile.mkdtemp(prefix="drcooper-dovecot-"))
        self.port = free_port()
        self.users = users
        self._taken: set[str] = set()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Dovecot:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.root.chmod(0o755)
        for folder in ("run", "state", "mail", "home"):
            (self.root / folder).mkdir()
        (self.root / "passwd").write_text(
            "".join(f"{user}:{{PLAIN}}{word}\n" for user, word in self.users.items())
        )
        uid, gid = _mail_owner()
        for folder in ("mail", "home"):
            os.chown(self.root / folder, uid, gid)
        config = self.root / "dovecot.conf"
        config.write_text(
            DOVECOT_CONFIG.format(
                root=self.root, port=self.port, uid=uid, gid=gid, users=_service_users()
            )
        )
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_greeting(self.port, b"* OK", time.monotonic() + STARTUP_SECONDS)
        except RuntimeError:
            log = self.root / "dovecot.log"
            text = log.read_text() if log.exists() else "(no log)"
            self.stop()
            raise RuntimeError(f"Dovecot did not start: {text}") from None
        return self

    def take_user(self) -> str:
        """Return a user whose mailbox no test used yet."""
        user = next(name for name in self.users if name not in self._taken)
        self._taken.add(user)
        return user

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def mailbox(self, user: str) -> MailBoxUnencrypted:
        """Log in as `user` on the server, as a person with a mail client would."""
        return MailBoxUnencrypted("127.0.0.1", self.port).login(
            user, self.users[user], initial_folder=None
        )

    def append(
        self,
        user: str,
        message: EmailMessage,
        folder: str = "INBOX",
        flags: tuple[str, ...] = (),
    ) -> None:
        with self.mailbox(user) as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            box.append(message.as_bytes(), folder, flag_set=flags or None)

    def messages(self, user: str, folder: str) -> list[EmailMessage]:
        """Return the messages now in a folder ([] when it does not exist)."""
        with self.mailbox(user) as box:
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return [
                email.message_from_bytes(
                    message.obj.as_bytes(), policy=email.policy.default
                )  # type: ignore[misc]
                for message in box.fetch(mark_seen=False)
            ]

    def subjects(self, user: str, folder: str) -> list[str]:
        return sorted(
            str(message["Subject"]) for message in self.messages(user, folder)
        )


@dataclass
class Inbox:
    """What the loopback SMTP server received: each message with its envelope."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: object, session: object, envelope: object
    ) -> str:
        if self.refuse:
            return "451 4.3.0 Service temporairement indisponible"
        content = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        self.messages.append(
            email.message_from_bytes(content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        self.recipients.append(list(envelope.rcpt_tos))  # type: ignore[attr-defined]
        return "250 OK"


class SmtpServer:
    """An aiosmtpd server on loopback collecting what it receives."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class FaultyProxy:
    """A TCP proxy in front of an IMAP server that can misbehave on purpose.

    `refuse_charset`: answer `BAD` to any SEARCH naming a CHARSET, as some
    servers do. `drop_on_fetch`: cut both connections when the client sends the
    n-th FETCH command (counted over the proxy's life), once.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.refuse_charset = False
        self.drop_on_fetch: int | None = None
        self.fetches = 0
        self.refused_searches = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> FaultyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(
                target=self._pipe_server, args=(server, client), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe_client, args=(client, server), daemon=True
            ).start()

    def _pipe_server(self, server: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := server.recv(65536):
                client.sendall(chunk)
        _close(server, client)

    def _pipe_client(self, client: socket.socket, server: socket.socket) -> None:
        buffer = b""
        with contextlib.suppress(OSError):
            while chunk := client.recv(65536):
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    if not self._pass_line(line, client, server):
                        _close(server, client)
                        return
        _close(server, client)

    def _pass_line(
        self, line: bytes, client: socket.socket, server: socket.socket
    ) -> bool:
        words = line.split()
        command = b" ".join(words[1:3]).upper() if len(words) > 1 else b""
        if self.refuse_charset and b"SEARCH" in command and b"CHARSET" in line.upper():
            self.refused_searches += 1
            client.sendall(words[0] + b" BAD [BADCHARSET] CHARSET not supported\r\n")
            return True
        if b"FETCH" in command:
            self.fetches += 1
            if self.fetches == self.drop_on_fetch:
                self.drop_on_fetch = None
                return False
        server.sendall(line + b"\r\n")
        return True


def _close(*sockets: socket.socket) -> None:
    for each in sockets:
        with contextlib.suppress(OSError):
            each.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            each.close()
