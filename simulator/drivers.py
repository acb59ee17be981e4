"""I/O: write JSON lines, drive the HTTP intake or the Kafka intake, and set a district up.

Everything here consumes :class:`~simulator.faults.Emission` objects in sending order; the
generation itself is pure and lives in the other modules.

* :func:`write_jsonl` — one intake JSON per line (a non-JSON defect is written as its raw text).
* :func:`drive_http` — ``POST /v1/visits`` on registration with the Puskesmas token of each facility
  (``{"visits": [...]}`` batches of up to ``batch_size``, or single visits when ``batch_size`` is 1).
* :func:`drive_kafka` — the same JSON to ``ilp.intake.visit.v1`` with aiokafka, key = facility id.
* :func:`setup` — write ``facilities.csv`` and ``targets.csv``, import them and issue one facility
  token per Puskesmas with the ``jejaring`` CLI in a subprocess (``tokens.json``: facility -> token).

Over 300 lines: the three drivers and the set-up share their pacing and progress code.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from simulator.faults import TIME_DEFECTS, Emission
from simulator.network import Network, facilities_csv, targets_csv, write_text

INTAKE_TOPIC = "ilp.intake.visit.v1"


@dataclass
class SendStats:
    """What happened to the messages sent (HTTP answers are per item)."""

    sent: int = 0
    recorded: int = 0
    duplicate: int = 0
    rejected: int = 0
    forbidden: int = 0
    unauthorized: int = 0
    no_token: int = 0
    failed: int = 0  # transport errors / 5xx after retries
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, e: Emission) -> None:
        self.sent += 1
        self.by_kind[e.kind] = self.by_kind.get(e.kind, 0) + 1

    def as_dict(self) -> dict:
        return asdict(self)


class Pacer:
    """Keeps an average of ``rate`` messages per second (no limit when rate is falsy)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.start: float | None = None
        self.n = 0

    async def wait(self) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        if self.start is None:
            self.start = now
        self.n += 1
        ahead = self.start + self.n / self.rate - now
        if ahead > 0:
            await asyncio.sleep(ahead)
        elif ahead < -5:  # fell far behind (slow server): do not burst to catch up
            self.start = now - self.n / self.rate


# ------------------------------------------------------------------------------------------ JSON lines
async def _paced(emissions: Iterable[Emission], pacer: Pacer, stats: SendStats, *,
                 transform: Callable[[Emission], None] | None, sink: Callable[[Emission], None] | None,
                 stop: asyncio.Event | None) -> AsyncIterator[Emission]:
    """The emissions at the pacer's rate, each transformed, given to the sink and counted; until ``stop``."""
    for e in emissions:
        if stop is not None and stop.is_set():
            return
        await pacer.wait()
        if transform is not None:
            transform(e)
        if sink is not None:
            sink(e)
        stats.count(e)
        yield e


def write_jsonl(emissions: Iterable[Emission], out: IO[str], *, with_meta: bool = False,
                sink: Callable[[Emission], None] | None = None) -> SendStats:
    """One message per line; with ``with_meta`` each JSON object carries ``_sim`` (ignored by the intake)."""
    stats = SendStats()
    write = out.write
    for e in emissions:
        if sink is not None:
            sink(e)
        stats.count(e)
        if with_meta and isinstance(e.body, dict):
            meta = {"kind": e.kind, "reason": e.reason, "send_at": _iso_utc(e.send_at), "offline": e.offline}
            write(json.dumps({**e.body, "_sim": meta}, ensure_ascii=False, separators=(",", ":")))
        else:
            write(e.text())
        write("\n")
    return stats


def _iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------------ live stamps
def live_restamp(e: Emission, *, offset_hours: int, skew_s: int, now: float | None = None) -> None:
    """Demo mode: move a generated visit to the present (``occurred_at`` = now + device skew).

    Offline records keep being late: one simulated day of delay becomes one minute. Bodies whose defect
    is about time (naive or far-future ``occurred_at``, birth after the visit, non-JSON) are left alone.
    """
    if not isinstance(e.body, dict) or (e.kind == "invalid" and e.reason in TIME_DEFECTS):
        return
    now = time.time() if now is None else now
    moment = now + skew_s
    if e.offline:
        moment = now - max(60.0, (e.send_at - e.occurred) / 1440.0)
    tz = timezone(timedelta(hours=offset_hours))
    local = datetime.fromtimestamp(moment, tz).replace(microsecond=0)
    birth = e.body.get("person", {}).get("birth_date")
    if isinstance(birth, str) and local.date().isoformat() < birth:
        local = datetime.fromtimestamp(now, tz).replace(microsecond=0)
    e.body["occurred_at"] = local.isoformat()


# ------------------------------------------------------------------------------------------ HTTP
async def drive_http(emissions: Iterable[Emission], *, url: str, tokens: dict[str, str], batch_size: int = 500,
                     rate: float | None = None, concurrency: int = 4, flush_interval: float = 1.0,
                     transform: Callable[[Emission], None] | None = None, timeout: float = 60.0,
                     sink: Callable[[Emission], None] | None = None, client=None,  # noqa: ANN001
                     stop: asyncio.Event | None = None) -> SendStats:
    """POST every emission to ``{url}/v1/visits`` with the token of its Puskesmas."""
    import httpx

    stats = SendStats()
    endpoint = url.rstrip("/") + "/v1/visits"
    batch_size = max(1, min(500, batch_size))
    pacer = Pacer(rate)
    gate = asyncio.Semaphore(concurrency)
    pending: set[asyncio.Task] = set()
    buffers: dict[str, list[Emission]] = {}
    first_at: dict[str, float] = {}
    own = client is None
    client = client or httpx.AsyncClient(timeout=timeout)

    async def post(token: str, items: list[Emission]) -> None:
        async with gate:
            headers = {"Authorization": f"Bearer {token}"}
            if batch_size == 1:
                e = items[0]
                if isinstance(e.body, str):
                    response = await _send(client, endpoint, headers, content=e.body.encode(), stats=stats, n=1)
                else:
                    response = await _send(client, endpoint, headers, json_body=e.body, stats=stats, n=1)
                if response is not None:
                    _tally_single(response, stats)
                return
            body = {"visits": [e.body for e in items]}  # a non-JSON defect travels as a JSON string item
            response = await _send(client, endpoint, headers, json_body=body, stats=stats, n=len(items))
            if response is not None:
                _tally_batch(response, len(items), stats)

    def flush(token_facility: str) -> None:
        items = buffers.pop(token_facility, [])
        first_at.pop(token_facility, None)
        if items:
            task = asyncio.ensure_future(post(tokens[token_facility], items))
            pending.add(task)
            task.add_done_callback(pending.discard)

    try:
        async for e in _paced(emissions, pacer, stats, transform=transform, sink=sink, stop=stop):
            tf = e.token_facility
            if tf not in tokens:
                stats.no_token += 1
                continue
            buf = buffers.setdefault(tf, [])
            if not buf:
                first_at[tf] = time.monotonic()
            buf.append(e)
            if len(buf) >= batch_size:
                flush(tf)
            now = time.monotonic()
            for key in [k for k, t0 in first_at.items() if now - t0 >= flush_interval]:
                flush(key)
            while len(pending) >= concurrency * 2:
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if not rate and stats.sent % 200 == 0:
                await asyncio.sleep(0)
        for key in list(buffers):
            flush(key)
        if pending:
            await asyncio.gather(*pending)
    finally:
        if own:
            await client.aclose()
    return stats


async def _send(client, endpoint: str, headers: dict, *, stats: SendStats, n: int,  # noqa: ANN001
                json_body: object = None, content: bytes | None = None):  # noqa: ANN202
    delay = 0.5
    for attempt in range(4):
        try:
            if content is not None:
                response = await client.post(endpoint, content=content,
                                             headers={**headers, "Content-Type": "application/json"})
            else:
                response = await client.post(endpoint, json=json_body, headers=headers)
            if response.status_code < 500:
                return response
        except Exception:  # noqa: BLE001 - transport errors are retried, then counted
            pass
        if attempt < 3:
            await asyncio.sleep(delay)
            delay *= 2
    stats.failed += n
    return None


def _tally_single(response, stats: SendStats) -> None:  # noqa: ANN001
    code = response.status_code
    if code == 202:
        status = response.json().get("status")
        if status == "duplicate":
            stats.duplicate += 1
        else:
            stats.recorded += 1
    elif code == 401:
        stats.unauthorized += 1
    elif code == 403:
        stats.forbidden += 1
    else:
        stats.rejected += 1


def _tally_batch(response, n: int, stats: SendStats) -> None:  # noqa: ANN001
    if response.status_code == 401:
        stats.unauthorized += n
        return
    if response.status_code != 202:
        stats.rejected += n
        return
    for item in response.json().get("results", []):
        status = item.get("status")
        if status == "recorded":
            stats.recorded += 1
        elif status == "duplicate":
            stats.duplicate += 1
        elif any("scope" in (err.get("msg") or "") for err in item.get("errors", [])):
            stats.forbidden += 1
        else:
            stats.rejected += 1


# ------------------------------------------------------------------------------------------ Kafka
async def drive_kafka(emissions: Iterable[Emission], *, bootstrap: str, topic: str = INTAKE_TOPIC,
                      rate: float | None = None, transform: Callable[[Emission], None] | None = None,
                      sink: Callable[[Emission], None] | None = None, stop: asyncio.Event | None = None) -> SendStats:
    """Produce every emission to the intake topic (value: the JSON text; key: the facility id)."""
    from aiokafka import AIOKafkaProducer

    stats = SendStats()
    pacer = Pacer(rate)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all", max_batch_size=262_144)
    await producer.start()
    futures = []
    try:
        async for e in _paced(emissions, pacer, stats, transform=transform, sink=sink, stop=stop):
            futures.append(await producer.send(topic, e.text().encode(), key=e.facility_id.encode()))
            if len(futures) >= 2000:
                await asyncio.gather(*futures)
                futures.clear()
        if futures:
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return stats


# ------------------------------------------------------------------------------------------ set-up
def cli_command() -> list[str]:
    """How to run the ``jejaring`` CLI from here (the same interpreter, so the same installation)."""
    return [sys.executable, "-m", "services.cli"]


def setup_commands(out_dir: Path, network: Network) -> list[list[str]]:
    """The CLI commands :func:`setup` runs (also printed by ``--print-commands``)."""
    cmds = [["facilities", "import", str(out_dir / "facilities.csv")],
            ["targets", "import", str(out_dir / "targets.csv")]]
    cmds += [["token", "issue", "--facility", p.facility_id] for p in network.puskesmas]
    return cmds


def setup(network: Network, out_dir: str | Path, years: list[int], *, import_data: bool = True,
          issue_tokens: bool = True, log: Callable[[str], None] = print,
          run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> dict[str, str]:
    """Write the CSVs, import them and issue one token per Puskesmas (``tokens.json``); return the tokens."""
    out = Path(out_dir)
    write_text(out / "facilities.csv", facilities_csv(network))
    write_text(out / "targets.csv", targets_csv(network, years))
    log(f"wrote {out / 'facilities.csv'} ({len(network.facilities())} facilities) and {out / 'targets.csv'}")
    if not import_data and not issue_tokens:
        return {}
    env = dict(os.environ)  # every command finds each service's database itself
    base = cli_command()
    commands = setup_commands(out, network)

    def execute(cmd: list[str]) -> subprocess.CompletedProcess:
        done = run([*base, *cmd], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"`jejaring {' '.join(cmd)}` failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        return done

    for cmd in commands:  # the imports in order (targets name the facilities' villages)
        if cmd[0] in ("facilities", "targets") and import_data:
            log(f"jejaring {' '.join(cmd)}: {execute(cmd).stdout.strip()}")
    # The tokens are independent of each other: issued a few at a time (each command's start-up is
    # most of its time), listed in the Puskesmas' order.
    token_commands = [cmd for cmd in commands if cmd[0] == "token"] if issue_tokens else []
    with ThreadPoolExecutor(max_workers=4) as pool:
        issued = list(pool.map(execute, token_commands))
    tokens: dict[str, str] = {}
    for cmd, done in zip(token_commands, issued, strict=True):
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        tokens[cmd[-1]] = lines[-1].strip()
    if issue_tokens:
        path = out / "tokens.json"
        write_text(path, json.dumps(tokens, indent=1) + "\n")
        os.chmod(path, 0o600)
        log(f"issued {len(tokens)} Puskesmas tokens -> {path}")
    return tokens


def load_tokens(path: str | Path) -> dict[str, str]:
    """``tokens.json``: {"<puskesmas facility_id>": "<token>", ...}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{path}: expected a JSON object mapping facility_id to token")
    return data


async def token_works(url: str, tokens: dict[str, str]) -> bool:
    """Whether registration still knows the first token (its database may have been reset)."""
    import httpx

    if not tokens:
        return False
    token = next(iter(tokens.values()))
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.get(url.rstrip("/") + "/v1/facilities",
                                        headers={"Authorization": f"Bearer {token}"})
    except Exception:  # noqa: BLE001
        return True  # cannot tell; try anyway
    return response.status_code != 401


async def wait_until_up(url: str, timeout: float = 180.0) -> bool:
    """Poll ``{url}/healthz`` until it answers 200."""
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5.0) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url.rstrip("/") + "/healthz")).status_code == 200:
                    return True
            except Exception:  # noqa: BLE001
                pass
            await asyncio.sleep(1.0)
    return False
