"""Runs the real system for integration tests: Tansu, optional PostgreSQL, four service processes."""

from __future__ import annotations

import contextlib
import glob
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.broker import start_broker, wait_for_port
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux: 32768 unless configured otherwise)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_HANDED_OUT: set[int] = set()
_DRAW = random.Random()  # its own source: a test seeding the global random does not fix the ports


def free_port() -> int:
    """A port free now that no other call of this test run has handed out.

    Asking the kernel for port 0 can answer the same port twice once the first socket is closed
    (two services of one system were given one port and the second could not listen), and it
    answers from the ephemeral range, where any outgoing connection may take the port before the
    service binds it. So ports are drawn below that range and remembered.
    """
    high = _ephemeral_low()
    low = 20_000 if high > 21_000 else 1_024
    for _ in range(2_000):
        port = _DRAW.randrange(low, high)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port between {low} and {high}")


class Postgres:
    """A throwaway PostgreSQL cluster owned by the ``postgres`` user (initdb refuses root)."""

    def __init__(self) -> None:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not candidates:
            raise RuntimeError("PostgreSQL server binaries not installed (make system-deps)")
        self.bin = Path(candidates[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="jejaring-pg-"))
        self.port = free_port()

    def _as_postgres(self, *cmd: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *cmd]
        return list(cmd)

    def start(self) -> str:
        data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(self._as_postgres(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "jejaring"),
                       check=True, stdout=subprocess.DEVNULL)
        self.resume()
        return f"postgresql://jejaring@127.0.0.1:{self.port}/jejaring"

    def pause(self) -> None:
        """Stop the server (its data stays): every connection of every service breaks."""
        subprocess.run(self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                                         "-w", "stop"), check=True, stdout=subprocess.DEVNULL)

    def resume(self) -> None:
        """Start the server on its data directory and port."""
        subprocess.run(self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                                         str(self.dir / "pg.log"), "-o", f"-p {self.port} -k {self.dir} -c fsync=off",
                                         "-w", "start"), check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        subprocess.run(self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"),
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """The cluster for the duration of a ``with`` block (a module fixture); yields its URL."""
        url = self.start()
        try:
            yield url
        finally:
            self.stop()


@dataclass
class System:
    """The broker and the five services as separate processes."""

    var: Path
    database_url: str | None = None
    broker_port: int = field(default_factory=free_port)
    ports: dict[str, int] = field(default_factory=lambda: {s: free_port() for s in SERVICES})
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    broker: subprocess.Popen | None = None
    # Tests shorten polls and retries so that they finish quickly; the benchmark measures the
    # services as shipped (their defaults), so it turns this off.
    quick_timings: bool = True

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    def env(self, service: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JEJARING_") and k != "DATABASE_URL"}
        env.update({
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "JEJARING_VAR_DIR": str(self.var),
            "JEJARING_ENVIRONMENT": "test",
            "PYTHONPATH": str(ROOT),
        })
        if self.quick_timings:
            env.update({
                "JEJARING_OUTBOX_POLL_SECONDS": "0.2",
                "JEJARING_CONSUMER_BATCH_TIMEOUT_MS": "10",
                "JEJARING_RETRY_BASE_SECONDS": "0.05",
                "JEJARING_OVERDUE_CHECK_SECONDS": "1",
            })
        if service == "dashboard":  # verify/close and curves go to this run's surveillance
            env["JEJARING_SURVEILLANCE_URL"] = self.url("surveillance")
        if service:
            env["JEJARING_PORT"] = str(self.ports[service])
            if self.database_url:
                env["DATABASE_URL"] = f"{self.database_url}_{service}"
        return env

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start_broker(self) -> None:
        self.broker = start_broker(port=self.broker_port, log_file=self.var / "broker.log")

    def stop_broker(self) -> None:
        if self.broker:
            self.broker.kill()
            self.broker.wait()

    def start(self, service: str) -> None:
        log = open(self.var / f"{service}.log", "ab")  # noqa: SIM115 - owned by the process
        self.procs[service] = subprocess.Popen([sys.executable, "-m", "services.cli", "run", service],
                                               env=self.env(service), stdout=log, stderr=log, cwd=ROOT)

    def wait_ready(self, service: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        wait_for_port("127.0.0.1", self.ports[service], timeout=timeout, process=self.procs[service])
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url(service) + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service} not ready; see {self.var / (service + '.log')}")

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(service)
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a stop that hangs must not fail the test that asked for it
            proc.kill()
            proc.wait(timeout=30)

    def freeze(self, service: str) -> None:
        """Stop a service's process without killing it (SIGSTOP): a consumer that falls behind."""
        self.procs[service].send_signal(signal.SIGSTOP)

    def thaw(self, service: str) -> None:
        self.procs[service].send_signal(signal.SIGCONT)

    def up(self) -> None:
        self.start_broker()
        for service in SERVICES:
            self.start(service)
        for service in SERVICES:
            self.wait_ready(service)

    def down(self) -> None:
        for service in list(self.procs):
            self.kill(service, signal.SIGTERM)
        self.stop_broker()

    def command_env(self) -> dict[str, str]:
        """The environment of an operator's shell: one ``DATABASE_URL`` for the installation, from
        which every command finds each service's own database as ``jejaring up`` does."""
        env = self.env()
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def cli(self, *args: str) -> str:
        """Run ``jejaring`` as an operator would; return its stdout."""
        result = subprocess.run([sys.executable, "-m", "services.cli", *args], env=self.command_env(),
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"jejaring {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def cli_many(self, *commands: tuple[str, ...]) -> list[str]:
        """Run independent ``jejaring`` commands a few at a time (each is mostly interpreter start-up);
        their stdouts in the order given."""
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(lambda args: self.cli(*args), commands))
