"""A real Dovecot IMAP server on loopback for the tests and the benchmark.

Started as a foreground process (``dovecot -F``) with a generated configuration
in a temporary folder, on a free port, with one passwd-file user and Maildir
storage. As an ordinary user everything runs as that user; as root (CI) Dovecot
refuses root for its login and mail processes, so they run as the ``dovenull``
and ``dovecot`` users the Debian package creates, and the folder is theirs.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "relais"
PASSWORD = "mot-de-passe-de-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accounts() -> tuple[str, str, int, int]:
    """Internal user, login user, and the uid/gid that owns the mail."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    owner = pwd.getpwnam("dovecot")
    return "dovecot", "dovenull", owner.pw_uid, owner.pw_gid


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = relais-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
mail_fsync = never
first_valid_uid = {uid}
last_valid_uid = {uid}
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(USER, PASSWORD)
        return conn

    def env(self, folder: str) -> dict[str, str]:
        """The settings that point Relais at this server and at ``folder``."""
        return {
            "IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(self.port), "IMAP_USERNAME": USER,
            "IMAP_PASSWORD": PASSWORD, "IMAP_SECURITY": "none", "IMAP_FOLDER": folder,
            "IMAP_PROCESSED_FOLDER": f"{folder}-traites", "IMAP_POLL_SECONDS": "0.5",
        }  # fmt: skip

    def append(self, folder: str, *messages: bytes) -> None:
        conn = self.connect()
        try:
            conn.create(f'"{folder}"')
            for raw in messages:
                status, data = conn.append(f'"{folder}"', None, None, raw)
                assert status == "OK", data
        finally:
            conn.logout()

    def count(self, folder: str) -> int:
        conn = self.connect()
        try:
            status, data = conn.select(f'"{folder}"', readonly=True)
            return int(data[0] or 0) if status == "OK" else 0
        finally:
            conn.logout()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_dovecot() -> Dovecot:
    if not Path(DOVECOT).exists():
        raise RuntimeError("dovecot is missing: apt-get install dovecot-imapd (see .ci/run)")
    root = Path(tempfile.mkdtemp(prefix="relais-dovecot-"))
    root.chmod(0o755)  # the login and mail processes traverse it under their own users
    internal, login, uid, gid = _accounts()
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    if os.geteuid() == 0:
        os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    group = "dovecot" if os.geteuid() == 0 else internal
    config = CONFIG.format(
        root=root, port=port, internal=internal, internal_group=group, login=login,
        uid=uid, gid=gid,
    )  # fmt: skip
    (root / "dovecot.conf").write_text(config)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    server = Dovecot(root, port, process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"dovecot did not start: {error}")
        try:
            server.connect().logout()
            return server
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("dovecot did not answer on its port")
