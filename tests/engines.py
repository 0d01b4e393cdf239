"""Real database engines for the tests: a PostgreSQL server and a local Apache Spark session.

PostgreSQL runs from Debian's binaries (``/usr/lib/postgresql/<version>/bin``): a new cluster in
a temporary folder, reachable only through a unix socket in that folder, with no durability
(the data is thrown away). The server refuses to run as root, so under root the cluster belongs
to the ``postgres`` system user (or ``nobody``). Spark runs in local mode in this process's JVM
(pyspark with Debian's Java runtime), without its web UI.

When an engine's binaries are absent, its tests are skipped, unless the environment variable
``PLAYBOOK_REQUIRE_ENGINES`` is set (CI sets it), in which case they fail: CI installs the
engines, so a missing one there is a broken setup, not a reason to pass quietly.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REQUIRE_VARIABLE = "PLAYBOOK_REQUIRE_ENGINES"
# How long each engine took to start in this test session, in seconds (reported by the tests).
STARTUP: dict[str, float] = {}


def engines_required() -> bool:
    return bool(os.environ.get(REQUIRE_VARIABLE))


def unavailable(what: str) -> None:
    """Skip the test for lack of ``what``, or fail when the engines are required."""
    message = f"{what} is not installed here"
    if engines_required():
        pytest.fail(f"{message}, and {REQUIRE_VARIABLE} is set: the engines must run.", pytrace=False)
    pytest.skip(message)


# ---------------------------------------------------------------- PostgreSQL


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _server_user() -> str | None:
    """The user the server runs as: None for the current (non-root) user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists to run PostgreSQL")


class PostgresServer:
    """A throw-away PostgreSQL cluster on a unix socket; ``connect()`` gives a psycopg connection."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.user = _server_user()
        self.folder = Path(tempfile.mkdtemp(prefix="playbook-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder
        self.port = 5432  # only names the socket file: the server listens on no TCP port
        self.log = self.folder / "server.log"

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, cwd=self.folder, timeout=120)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stdout}\n{proc.stderr}\n{log}")

    def start(self) -> "PostgresServer":
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(self.bindir / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        options = (f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC")
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start")
        return self

    def connect(self):
        import psycopg
        return psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres",
                               autocommit=True)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL server for the test session."""
    bindir = postgres_bin()
    if bindir is None:
        unavailable("A PostgreSQL server (Debian package postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg")
    started = time.perf_counter()
    server = PostgresServer(bindir)
    try:
        server.start()
        with server.connect() as conn:
            conn.execute("select 1")
        STARTUP["postgres"] = time.perf_counter() - started
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- Apache Spark


def java_present() -> bool:
    if os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java").exists():
        return True
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def spark():
    """A local-mode SparkSession (two threads, no web UI, UTC) for the test session."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark")
    if not java_present():
        unavailable("A Java runtime for Spark (Debian package openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    warehouse = tempfile.mkdtemp(prefix="playbook-spark-")
    session = (SparkSession.builder.master("local[2]").appName("playbook-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.warehouse.dir", warehouse)
               # The test queries are small and run once: compiling whole stages to Java and
               # re-planning adaptively cost more than they save, and so does the JIT's slow tier.
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.adaptive.enabled", "false")
               .config("spark.driver.extraJavaOptions",
                       f"-Dderby.system.home={warehouse} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    session.sql("select 1").collect()
    STARTUP["spark"] = time.perf_counter() - started
    try:
        yield session
    finally:
        session.stop()
        shutil.rmtree(warehouse, ignore_errors=True)
