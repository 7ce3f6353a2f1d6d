"""A real PostgreSQL server for the tests, started in a temporary directory.

One server per test session (starting one takes a few seconds; a database takes a fraction
of one), a fresh database per test. The server listens on 127.0.0.1 only, on a free port,
with its socket in its own directory; connections over TCP need the password the server was
created with, so the tests use URLs with a password, as operators do.

The binaries are ``pg_ctl`` on the PATH (``initdb`` beside the file it links to) or, where
the system package put them off the PATH, the newest ``/usr/lib/postgresql/*/bin``. As root,
the server runs as the ``postgres`` system user (``initdb`` refuses root).

Where no server can be had, :func:`start_server` raises :class:`ServerUnavailable` with the
reason; the fixtures in ``tests/conftest.py`` skip on it, or fail when
``NEWSBOT_REQUIRE_POSTGRES=1`` (CI sets it, so the PostgreSQL tests cannot silently vanish).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.network import free_port

__all__ = ["PostgresServer", "ServerUnavailable", "find_binaries", "start_server"]

SUPERUSER = "newsbot_test"
START_TIMEOUT = 60  # seconds; a loaded two-core machine can be slow
START_TRIES = 3  # the free port may be taken between choosing and binding it
SYSTEM_LOCATIONS = "/usr/lib/postgresql/*/bin"  # Debian and Ubuntu keep the binaries here


class ServerUnavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def find_binaries() -> Path:
    """The directory of ``initdb``, ``pg_ctl`` and ``postgres``."""
    pg_ctl = shutil.which("pg_ctl")
    candidates = [Path(os.path.realpath(pg_ctl)).parent] if pg_ctl else []

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.parent.name.split(".") if part.isdigit())

    candidates += sorted(Path("/").glob(SYSTEM_LOCATIONS.lstrip("/")), key=version, reverse=True)
    for directory in candidates:
        if all((directory / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    raise ServerUnavailable(
        "PostgreSQL's server binaries are not installed (no pg_ctl on the PATH, nothing in "
        f"{SYSTEM_LOCATIONS}); install them, e.g. apt-get install postgresql"
    )


@dataclass(slots=True)
class PostgresServer:
    """A running server; :meth:`stop` it when done."""

    binaries: Path
    directory: Path
    port: int
    password: str = field(repr=False)
    run_as: str | None  # the system user the server runs as, when the tests run as root
    started_in: float  # seconds initdb and the start took
    _databases: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._databases)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of *url*, ending its connections first."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            _run(self.run_as, [str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                               "stop"], timeout=60)  # fmt: skip
        shutil.rmtree(self.directory, ignore_errors=True)


def _run(user: str | None, command: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )


def _system_user() -> str | None:
    """The user to run the server as: None to run it as ourselves, 'postgres' as root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable(
            "the tests run as root and there is no 'postgres' system user to run the server as "
            "(initdb refuses root); install the postgresql package, which creates it"
        ) from None
    if shutil.which("runuser") is None:
        raise ServerUnavailable("the tests run as root and runuser is missing to start PostgreSQL")
    return "postgres"


def start_server() -> PostgresServer:
    """Create a cluster in a new temporary directory and start it; raises ServerUnavailable."""
    binaries = find_binaries()
    user = _system_user()
    began = time.monotonic()
    directory = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(directory, entry.pw_uid, entry.pw_gid)
        password = secrets.token_hex(16)
        password_file = directory / "password"
        password_file.write_text(password + "\n", encoding="utf-8")
        if user is not None:
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        created = _run(user, [
            str(binaries / "initdb"), "-D", str(directory / "data"), "-U", SUPERUSER,
            f"--pwfile={password_file}", "--auth-local=trust", "--auth-host=scram-sha-256",
            "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
        ], timeout=START_TIMEOUT)  # fmt: skip
        password_file.unlink()
        if created.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {_last_lines(created.stderr or created.stdout)}")
        for _ in range(START_TRIES):
            port = free_port()
            options = " ".join([
                f"-p {port}", f"-k {directory}", "-c listen_addresses=127.0.0.1",
                # A test server: no durability across a machine crash, much faster commits.
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                "-c max_connections=100", "-c shared_buffers=32MB",
            ])  # fmt: skip
            started = _run(user, [
                str(binaries / "pg_ctl"), "-D", str(directory / "data"), "-l", str(directory / "server.log"),
                "-o", options, "-w", "-t", str(START_TIMEOUT), "start",
            ], timeout=START_TIMEOUT + 10)  # fmt: skip
            if started.returncode == 0:
                return PostgresServer(
                    binaries=binaries,
                    directory=directory,
                    port=port,
                    password=password,
                    run_as=user,
                    started_in=time.monotonic() - began,
                )
        log = directory / "server.log"
        detail = log.read_text(encoding="utf-8", errors="replace") if log.exists() else started.stderr
        raise ServerUnavailable(f"PostgreSQL did not start: {_last_lines(detail)}")
    except ServerUnavailable:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    except (OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise ServerUnavailable(f"PostgreSQL could not be started: {exc}") from exc


def _last_lines(text: str, count: int = 5) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no output"
