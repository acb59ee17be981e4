"""The test harness's ports: never one port for two processes, never one a client may take first."""

from __future__ import annotations

import socket

from tests.integration import harness
from tests.integration.harness import _ephemeral_low, free_port


def test_ports_are_distinct_free_and_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(port < _ephemeral_low() for port in ports)
    with socket.socket() as sock:  # a port handed out can be listened on
        sock.bind(("127.0.0.1", ports[-1]))
        sock.listen()


def test_a_port_in_use_is_not_handed_out(monkeypatch) -> None:  # noqa: ANN001
    with socket.socket() as taken:
        for port in range(21_000, 22_000):  # a port of the drawn range, held by someone else
            try:
                taken.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        taken.listen()
        draws = iter([port, port, *range(22_000, 23_000)])
        monkeypatch.setattr(harness._DRAW, "randrange", lambda _low, _high: next(draws))
        assert free_port() >= 22_000
