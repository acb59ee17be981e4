"""Drivers and CLI: JSON lines, the HTTP intake (mock transport), set-up through the CLI, live stamps."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
import time
from datetime import datetime

import httpx
from pydantic import ValidationError

from shared.contracts.intake import IntakeVisit
from simulator import cli, drivers
from simulator.faults import Emission


def test_jsonl_writes_one_message_per_line_with_optional_meta(small_run) -> None:  # noqa: ANN001
    _, emissions = small_run
    out = io.StringIO()
    stats = drivers.write_jsonl(emissions[:300], out, with_meta=True)
    lines = out.getvalue().splitlines()
    assert len(lines) == stats.sent == 300
    for line, e in zip(lines, emissions):
        if isinstance(e.body, str):
            assert line == e.body
        else:
            data = json.loads(line)
            assert data.pop("_sim")["kind"] == e.kind and data == e.body


class FakeRegistration:
    """Answers like registration's batch endpoint: model errors rejected, repeated visit_ids duplicate."""

    def __init__(self, token_of: dict[str, str]) -> None:
        self.token_of = token_of  # token -> facility
        self.seen: set[str] = set()
        self.requests: list[tuple[str, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if token not in self.token_of:
            return httpx.Response(401, json={"errors": []})
        payload = json.loads(request.content)
        items = payload["visits"] if isinstance(payload, dict) and "visits" in payload else [payload]
        self.requests.append((self.token_of[token], len(items)))
        results = []
        for item in items:
            try:
                visit = IntakeVisit.model_validate(item)
            except ValidationError:
                results.append({"visit_id": None, "status": "rejected", "errors": [{"loc": [], "msg": "bad"}]})
                continue
            vid = str(visit.visit_id)
            results.append({"visit_id": vid, "status": "duplicate" if vid in self.seen else "recorded"})
            self.seen.add(vid)
        if "visits" in payload:
            return httpx.Response(202, json={"results": results})
        r = results[0]
        return httpx.Response(202 if r["status"] != "rejected" else 422, json=r)


async def test_http_driver_batches_per_puskesmas_token_and_tallies_answers(small_run) -> None:  # noqa: ANN001
    sim, emissions = small_run
    tokens = {p.facility_id: f"tok-{p.facility_id}" for p in sim.net.puskesmas}
    fake = FakeRegistration({v: k for k, v in tokens.items()})
    puskesmas_of = {f.facility_id: f.puskesmas_id for f in sim.net.facilities()}
    sent: list[Emission] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as client:
        stats = await drivers.drive_http(emissions, url="http://registration", tokens=tokens, batch_size=40,
                                         client=client, sink=sent.append)
    assert stats.sent == len(emissions) == len(sent)
    assert all(n <= 40 for _, n in fake.requests)
    assert {f for f, _ in fake.requests} <= set(tokens)
    assert all(puskesmas_of.get(e.facility_id, e.token_facility) == e.token_facility for e in emissions)
    schema_invalid = sum(1 for e in emissions if e.kind == "invalid" and _fails_model(e))
    assert stats.rejected == schema_invalid
    assert stats.duplicate == sum(e.kind == "duplicate" for e in emissions)
    assert stats.recorded == len(emissions) - schema_invalid - stats.duplicate
    assert stats.failed == stats.unauthorized == stats.no_token == 0


async def test_http_driver_single_visits(small_run) -> None:  # noqa: ANN001
    sim, emissions = small_run
    tokens = {p.facility_id: f"tok-{p.facility_id}" for p in sim.net.puskesmas}
    fake = FakeRegistration({v: k for k, v in tokens.items()})
    some = [e for e in emissions if e.kind == "valid"][:20] + [e for e in emissions if e.kind == "invalid"][:5]
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as client:
        stats = await drivers.drive_http(some, url="http://registration", tokens=tokens, batch_size=1, client=client)
    assert all(n == 1 for _, n in fake.requests) and stats.sent == 25
    assert stats.recorded + stats.rejected == 25 and stats.recorded >= 20


def _fails_model(e: Emission) -> bool:
    try:
        IntakeVisit.model_validate_json(e.text())
    except ValueError:
        return True
    return False


def test_setup_writes_csvs_imports_them_and_keeps_one_token_per_puskesmas(tmp_path, small_run) -> None:  # noqa: ANN001
    sim, _ = small_run
    calls = []

    def fake_run(cmd, env, capture_output, text):  # noqa: ANN001, ANN202, ARG001
        calls.append(cmd)
        if "token" in cmd:
            out = f"facility token for {cmd[-1]} (shown once):\njjf_{cmd[-1]}\n"
            return subprocess.CompletedProcess(cmd, 0, stdout=out)
        return subprocess.CompletedProcess(cmd, 0, stdout="created=3 updated=0 unchanged=0\n")

    tokens = drivers.setup(sim.net, tmp_path, [2026], log=lambda _msg: None, run=fake_run)
    assert tokens == {p.facility_id: f"jjf_{p.facility_id}" for p in sim.net.puskesmas}
    assert json.loads((tmp_path / "tokens.json").read_text()) == tokens
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600
    assert calls[0][:3] == [sys.executable, "-m", "services.cli"]
    assert calls[0][3:5] == ["facilities", "import"] and calls[1][3:5] == ["targets", "import"]
    assert len(calls) == 2 + len(sim.net.puskesmas)
    header = (tmp_path / "facilities.csv").read_text().splitlines()[0]
    assert header == "facility_id,name,type,parent_id,village_code,capabilities"
    assert drivers.load_tokens(tmp_path / "tokens.json") == tokens


def test_live_restamp_moves_visits_to_now_and_keeps_offline_ones_late() -> None:
    now = time.time()
    body = {"visit_id": "x", "occurred_at": "2026-10-01T09:00:00+07:00", "person": {"birth_date": "1990-01-01"}}
    online = Emission(1000.0, 900.0, "valid", None, "F", "P", dict(body), False)
    drivers.live_restamp(online, offset_hours=7, skew_s=-90, now=now)
    stamped = datetime.fromisoformat(online.body["occurred_at"])
    assert abs(stamped.timestamp() - (now - 90)) < 1.5 and stamped.utcoffset().total_seconds() == 7 * 3600
    offline = Emission(900.0 + 3 * 86400, 900.0, "valid", None, "F", "P", dict(body), True)
    drivers.live_restamp(offline, offset_hours=7, skew_s=0, now=now)
    assert datetime.fromisoformat(offline.body["occurred_at"]).timestamp() <= now - 170  # 3 days late -> 3 minutes
    ahead = dict(body, occurred_at="2036-10-01T09:00:00+07:00")
    future = Emission(1.0, 1.0, "invalid", "occurred_at_years_ahead", "F", "P", ahead, False)
    drivers.live_restamp(future, offset_hours=7, skew_s=0, now=now)
    assert future.body["occurred_at"].startswith("2036")


def test_cli_is_deterministic_and_writes_truth(tmp_path, capsys) -> None:  # noqa: ANN001
    args = ["--district", "18.72", "--days", "4", "--start", "2026-10-30", "--seed", "9", "--population-scale", "0.05"]
    for name in ("a", "b"):
        assert cli.main([*args, "--out", str(tmp_path / f"{name}.jsonl"), "--truth", str(tmp_path / f"{name}.json"),
                         "--facilities-out", str(tmp_path / "f.csv"), "--targets-out", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    truth = json.loads((tmp_path / "a.json").read_text())
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert truth["counts"]["messages"] == len(lines) > 100
    assert set(truth["periods"]) == {"2026-10", "2026-11"}
    assert truth["meta"]["seed"] == 9 and truth["meta"]["start"] == "2026-10-30"
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert summary["messages"] == len(lines)


def test_cli_setup_can_print_the_commands(tmp_path, capsys) -> None:  # noqa: ANN001
    assert cli.main(["setup", "--district", "18.72", "--dir", str(tmp_path), "--print-commands"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"jejaring facilities import {tmp_path / 'facilities.csv'}"
    assert out[1] == f"jejaring targets import {tmp_path / 'targets.csv'}"
    assert sum(line.startswith("jejaring token issue --facility PKM1872") for line in out) == 7
    assert (tmp_path / "facilities.csv").exists() and (tmp_path / "targets.csv").exists()


def test_cli_rejects_http_without_tokens(capsys) -> None:  # noqa: ANN001
    assert cli.main(["--district", "18.72", "--days", "1", "--mode", "http", "--population-scale", "0.01"]) == 2
    assert "--tokens-file" in capsys.readouterr().err


def test_cli_explains_a_district_without_kecamatan(capsys) -> None:  # noqa: ANN001
    assert cli.main(["--district", "11.01", "--days", "1"]) == 2  # Aceh Selatan: kab/kota only in the seed file
    assert "regions import" in capsys.readouterr().err
    assert cli.main(["setup", "--district", "99.99", "--print-commands"]) == 2
    assert "not a kab/kota" in capsys.readouterr().err
