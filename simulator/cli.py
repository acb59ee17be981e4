"""``jejaring simulate``: command line of the district simulator (see ``docs/simulator.md``).

    jejaring simulate --district 18.01 --days 30 --start 2026-10-01 --seed 7 --out visits.jsonl --truth truth.json
    jejaring simulate setup --district 18.01 --dir var/simulator/18.01
    jejaring simulate --district 18.01 --mode http --tokens-file var/simulator/18.01/tokens.json --rate 200
    jejaring simulate --district 18.01 --mode kafka --bootstrap 127.0.0.1:9092
    jejaring simulate --district 18.01 --demo
    jejaring simulate --district 18.01 --demo --outbreak dengue:18.01.06.2001:now
    jejaring simulate --district 18.01 --demo --backfill-months 3 --backfill-scale 0.03

``main(argv)`` is the entry point (``python -m simulator`` works too).

Over 300 lines: one argument parser and the modes it dispatches to, read top to bottom.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

from shared.progress import Progress
from simulator import drivers
from simulator.faults import FaultConfig
from simulator.network import facilities_csv, targets_csv, write_text
from simulator.syndromes import Outbreak, OutbreakInjector, demo_scale, parse_outbreak
from simulator.truth import Truth
from simulator.visits import build_simulation, utc_offset_hours

DEFAULT_REGISTRATION_URL = "http://127.0.0.1:8001"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
DEMO_RATE = 2.0
DEMO_CHUNK_DAYS = 14  # the demo restarts its population every 14 simulated days, bounding memory
DEFAULT_BACKFILL_SCALE = 0.03


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be a fraction between 0 and 1")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--district", required=True, help="kab/kota code of a district in the regions file, e.g. 18.01")
    p.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    p.add_argument("--population-scale", type=_positive, default=1.0,
                   help="scale the synthetic population, e.g. 0.01 for tests (default: %(default)s)")
    p.add_argument("--puskesmas", type=int, help="number of Puskesmas (default: known count, else 1.41 per kecamatan)")


def run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jejaring simulate", description="Synthetic ILP district feeding the visit intake.",
        epilog="`jejaring simulate setup --help`: write/import facilities and targets, issue tokens.")
    _common(p)
    p.add_argument("--days", type=int, default=30, help="days to simulate (default: %(default)s)")
    p.add_argument("--start", type=date.fromisoformat,
                   help="first day YYYY-MM-DD (default: --days before today, so the run ends yesterday)")
    p.add_argument("--mode", choices=["jsonl", "http", "kafka"],
                   help="where visits go (default: jsonl; http with --demo)")
    p.add_argument("--out", help="jsonl: output file ('-' or absent: standard output)")
    p.add_argument("--with-meta", action="store_true", help="jsonl: add a `_sim` object (kind, reason, send time)")
    p.add_argument("--truth", help="write the ground truth JSON here")
    p.add_argument("--facilities-out", help="also write the facilities CSV here")
    p.add_argument("--targets-out", help="also write the targets CSV here")
    p.add_argument("--rate", type=_positive,
                   help="visits per second when driving http/kafka (default: as fast as possible)")
    p.add_argument("--registration-url", default=DEFAULT_REGISTRATION_URL, help="default: %(default)s")
    p.add_argument("--bootstrap", default=None,
                   help=f"Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or {DEFAULT_BOOTSTRAP})")
    p.add_argument("--tokens-file", help="http: JSON {puskesmas facility_id: token} (from `jejaring simulate setup`)")
    p.add_argument("--batch-size", type=int, default=500, help="http: visits per request, 1-500 (1 = single visits)")
    p.add_argument("--concurrency", type=int, default=4, help="http: requests in flight (default: %(default)s)")
    p.add_argument("--offline-share", type=_share, default=FaultConfig.offline_share,
                   help="share of Posyandu that sync late")
    p.add_argument("--duplicate-share", type=_share, default=FaultConfig.duplicate_share, help="share of visits resent")
    p.add_argument("--invalid-share", type=_share, default=FaultConfig.invalid_share, help="share of invalid messages")
    p.add_argument("--warning-share", type=_share, default=FaultConfig.warning_share,
                   help="share of accepted visits whose birth date disagrees with the NIK")
    p.add_argument("--outbreak", action="append", default=[], metavar="DISEASE:VILLAGE:WEEK[:CASES]",
                   help="inject a cluster (repeatable), e.g. dengue:18.01.06.2001:2026-W49; WEEK 'now' is this "
                        "ISO week (with --demo the cases are sent at once); CASES default: one above the "
                        "Puskesmas floor (dengue 6), 1 for a single-case disease")
    p.add_argument("--no-seasonal", action="store_true",
                   help="no seasonal syndromes (diarrhoea, dengue) on clinic visits: only injected outbreaks")
    p.add_argument("--syndrome-scale", type=_positive, default=1.0,
                   help="multiply the seasonal syndrome rates (default: %(default)s)")
    p.add_argument("--demo", action="store_true",
                   help="set the district up if needed and keep a gentle live stream going (visits stamped now)")
    p.add_argument("--dir", help="set-up directory for --demo (default: var/simulator/<district>)")
    p.add_argument("--backfill-months", type=int, default=0, metavar="N",
                   help="with --demo: first send a history — the N calendar months before this one and this "
                        "month up to yesterday, with their own event times, as fast as the services take them — "
                        "then go live (default: %(default)s, none)")
    p.add_argument("--backfill-scale", type=_positive, default=DEFAULT_BACKFILL_SCALE,
                   help="population scale of the --backfill-months history (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no summary on standard error")
    return p


def setup_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jejaring simulate setup",
        description="Write facilities.csv and targets.csv, import them, issue Puskesmas tokens.")
    _common(p)
    p.add_argument("--dir", help="output directory (default: var/simulator/<district>)")
    p.add_argument("--year", type=int, action="append", help="target year (repeatable; default: this year)")
    p.add_argument("--no-import", action="store_true", help="only write the CSVs (and tokens unless --no-tokens)")
    p.add_argument("--no-tokens", action="store_true", help="do not issue tokens")
    p.add_argument("--print-commands", action="store_true", help="print the jejaring commands instead of running them")
    return p


def _regions():  # noqa: ANN202
    from shared.regions import load_regions

    return load_regions()


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _default_dir(district: str) -> Path:
    return Path("var") / "simulator" / district


def cmd_setup(args: argparse.Namespace) -> int:
    from simulator.network import build_network

    try:
        net = build_network(_regions(), args.district, seed=args.seed, population_scale=args.population_scale,
                            puskesmas_count=args.puskesmas)
    except ValueError as exc:
        _log(f"error: {exc}")
        return 2
    out = Path(args.dir) if args.dir else _default_dir(args.district)
    years = args.year or [date.today().year]
    if args.print_commands:
        write_text(out / "facilities.csv", facilities_csv(net))
        write_text(out / "targets.csv", targets_csv(net, years))
        for cmd in drivers.setup_commands(out, net):
            print("jejaring " + " ".join(cmd))
        return 0
    try:
        drivers.setup(net, out, years, import_data=not args.no_import, issue_tokens=not args.no_tokens, log=_log)
    except RuntimeError as exc:
        _log(f"error: {exc}")
        return 1
    return 0


def backfill_window(today: date, months: int) -> tuple[date, int]:
    """(first day, number of days) of a demo's history: from the 1st of the calendar month ``months``
    before ``today``'s up to yesterday — the ``months`` whole months before this one plus this month
    so far. On the 1st that is exactly the ``months`` previous months; on 1 January they lie in the
    previous year. ``months`` 0: (today, 0)."""
    if months <= 0:
        return today, 0
    index = today.year * 12 + today.month - 1 - months
    start = date(index // 12, index % 12 + 1, 1)
    return start, (today - start).days


def _years(start: date, days: int) -> list[int]:
    return sorted({start.year, (start + timedelta(days=max(0, days - 1))).year})


def _outbreaks(args: argparse.Namespace) -> list[Outbreak]:
    """``--outbreak`` options, checked (ValueError with the reason)."""
    from typing import get_args

    from shared.contracts.intake import Syndrome

    found = [parse_outbreak(text, set(get_args(Syndrome))) for text in args.outbreak]
    if args.demo and any(ob.week != "now" for ob in found):
        raise ValueError("with --demo every visit is stamped now: give the outbreak's WEEK as now")
    return found


def cmd_run(args: argparse.Namespace) -> int:
    try:
        outbreaks = _outbreaks(args)
    except ValueError as exc:
        _log(f"error: {exc}")
        return 2
    if args.demo:
        return cmd_demo(args, outbreaks)
    mode = args.mode or "jsonl"
    offset = utc_offset_hours(args.district)
    today = datetime.now(timezone(timedelta(hours=offset))).date()
    start = args.start or today - timedelta(days=args.days)
    faults = FaultConfig(offline_share=args.offline_share, duplicate_share=args.duplicate_share,
                         invalid_share=args.invalid_share, warning_share=args.warning_share)
    try:
        sim = build_simulation(_regions(), args.district, seed=args.seed, start=start, days=args.days,
                               population_scale=args.population_scale, faults=faults, puskesmas_count=args.puskesmas,
                               seasonal=not args.no_seasonal, syndrome_scale=args.syndrome_scale,
                               outbreaks=outbreaks, today=today)
    except ValueError as exc:
        _log(f"error: {exc}")
        return 2
    years = _years(start, args.days)
    if mode != "jsonl" and start + timedelta(days=args.days) > today:
        _log("warning: the window reaches today or later; visits more than 5 minutes in the future are rejected "
             "(use --demo for a live stream)")
    if args.facilities_out:
        write_text(args.facilities_out, facilities_csv(sim.net))
    if args.targets_out:
        write_text(args.targets_out, targets_csv(sim.net, years))
    truth = Truth.for_network(sim.net, years) if args.truth else None
    sink = truth.add if truth is not None else None
    if not args.quiet:
        _log(f"simulating {sim.net.district.name} ({args.district}): {len(sim.net.villages)} desa, "
             f"{len(sim.net.puskesmas)} Puskesmas, {sum(sim.net.populations):,} people; "
             f"--start {start.isoformat()} --days {args.days} --seed {args.seed} -> {mode}")
    t0, c0 = time.perf_counter(), time.process_time()
    progress = None if args.quiet else Progress("simulate", total=args.days, unit="simulated days")
    emissions = _counted(sim.emissions(), progress, start, offset, args.days)
    if mode == "jsonl":
        if args.out and args.out != "-":
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            with open(args.out, "w", encoding="utf-8") as fh:
                stats = drivers.write_jsonl(emissions, fh, with_meta=args.with_meta, sink=sink)
        else:
            stats = drivers.write_jsonl(emissions, sys.stdout, with_meta=args.with_meta, sink=sink)
    elif mode == "http":
        if not args.tokens_file:
            _log("error: --mode http needs --tokens-file (run `jejaring simulate setup` first)")
            return 2
        tokens = drivers.load_tokens(args.tokens_file)
        stats = asyncio.run(drivers.drive_http(emissions, url=args.registration_url, tokens=tokens,
                                               batch_size=args.batch_size, rate=args.rate,
                                               concurrency=args.concurrency, sink=sink))
    else:
        stats = asyncio.run(drivers.drive_kafka(emissions, bootstrap=_bootstrap(args), rate=args.rate, sink=sink))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    meta = {"district": args.district, "seed": args.seed, "start": start.isoformat(), "days": args.days,
            "population_scale": args.population_scale, "mode": mode, "seasonal": not args.no_seasonal,
            "syndrome_scale": args.syndrome_scale, "outbreaks": args.outbreak,
            "faults": {"offline_share": faults.offline_share, "duplicate_share": faults.duplicate_share,
                       "invalid_share": faults.invalid_share, "warning_share": faults.warning_share}}
    if truth is not None:
        truth.write(args.truth, meta)
    if progress is not None:
        progress.summary(f"{stats.sent:,} messages ({mode})")
    if not args.quiet:
        summary = {"visits_generated": sim.generated, "messages": stats.sent, "seconds": round(elapsed, 2),
                   "cpu_seconds": round(cpu, 2),
                   "messages_per_second": round(stats.sent / elapsed) if elapsed > 0 else None, **stats.as_dict()}
        _log(json.dumps(summary))
    return 0


def _counted(emissions, progress: Progress | None, start: date, offset: int, days: int):  # noqa: ANN001, ANN202
    """The emissions, counting simulated days on ``progress`` as their send times pass (offline
    Posyandu that sync after the window count in its last day)."""
    if progress is None:
        yield from emissions
        return
    first = datetime(start.year, start.month, start.day, tzinfo=timezone(timedelta(hours=offset))).timestamp()
    for e in emissions:
        day = min(days, int((e.send_at - first) // 86400))
        if day > progress.done:
            progress.advance(day - progress.done)
        yield e
    if days > progress.done:
        progress.advance(days - progress.done)


def _bootstrap(args: argparse.Namespace) -> str:
    import os

    return args.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP


def cmd_demo(args: argparse.Namespace, outbreaks: list[Outbreak] = ()) -> int:  # type: ignore[assignment]
    """Set up the district if needed, then stream live visits (stamped now) until stopped.

    Visits come from consecutive 14-day simulations (new people each time, so memory stays bounded) sent at
    ``--rate`` (default 2/s) with ``occurred_at`` moved to the present (:func:`drivers.live_restamp`).
    Seasonal syndromes are thinned so that a wall-clock week holds a real week's cases
    (:func:`syndromes.demo_scale`); the ``--outbreak`` cases are sent first.
    """
    mode = args.mode or "http"
    out = Path(args.dir) if args.dir else _default_dir(args.district)
    tokens_file = Path(args.tokens_file) if args.tokens_file else out / "tokens.json"
    offset = utc_offset_hours(args.district)
    today = datetime.now(timezone(timedelta(hours=offset))).date()
    regions = _regions()
    faults = FaultConfig(offline_share=args.offline_share, duplicate_share=args.duplicate_share,
                         invalid_share=args.invalid_share, warning_share=args.warning_share)

    base_seed = args.seed * 1_000_003 + int(time.time())  # a restarted demo must not resend old visit_ids

    rate = args.rate or DEMO_RATE
    backfill_start, backfill_days = backfill_window(today, args.backfill_months)
    setup_years = sorted(set(_years(today, 366)) | {backfill_start.year})

    def chunk(n: int):  # noqa: ANN202
        start = datetime.now(timezone(timedelta(hours=offset))).date()
        built = build_simulation(regions, args.district, seed=base_seed + n, start=start, days=DEMO_CHUNK_DAYS,
                                 population_scale=args.population_scale, faults=faults, puskesmas_count=args.puskesmas,
                                 seasonal=not args.no_seasonal, syndrome_scale=args.syndrome_scale)
        if built.syndromes is not None:  # a wall-clock week holds a real week's cases
            built.syndromes.rescale(demo_scale(sum(built.net.populations), rate))
        return built

    try:
        sim = chunk(0)
        first = OutbreakInjector(outbreaks, seed=base_seed, villages=set(sim.vindex)).at_once(sim, sim.start)
    except ValueError as exc:
        _log(f"error: {exc}")
        return 2

    def endless():  # noqa: ANN202
        yield from first
        current, n = sim, 0
        while True:
            yield from current.emissions()
            n += 1
            current = chunk(n)

    marker = out / "backfill.json"

    async def backfill(stop: asyncio.Event) -> None:
        """The history before going live: its visits keep their event times (no restamp), sent unpaced.
        Once per set-up directory (``backfill.json``): a restarted demo does not send a second history."""
        if marker.exists():
            _log(f"demo: the history was sent before ({marker}); going live")
            return
        history = build_simulation(regions, args.district, seed=base_seed - 1, start=backfill_start, days=backfill_days,
                                   population_scale=args.backfill_scale, faults=faults, puskesmas_count=args.puskesmas,
                                   seasonal=not args.no_seasonal, syndrome_scale=args.syndrome_scale, today=today)
        last = backfill_start + timedelta(days=backfill_days - 1)
        _log(f"demo: backfilling {backfill_start.isoformat()}..{last.isoformat()} at population scale "
             f"{args.backfill_scale} ({sum(history.net.populations):,} people) before going live")
        t0 = time.perf_counter()
        if mode == "http":
            stats = await drivers.drive_http(history.emissions(), url=args.registration_url,
                                             tokens=drivers.load_tokens(tokens_file), batch_size=args.batch_size,
                                             concurrency=args.concurrency, stop=stop)
        else:
            stats = await drivers.drive_kafka(history.emissions(), bootstrap=_bootstrap(args), stop=stop)
        seconds = time.perf_counter() - t0
        _log(f"demo: backfilled {history.generated:,} visits ({stats.sent:,} messages) in {seconds:.1f} s")
        if not stop.is_set():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"start": backfill_start.isoformat(), "days": backfill_days,
                                          "population_scale": args.backfill_scale, "visits": history.generated,
                                          "seconds": round(seconds, 1)}) + "\n", encoding="utf-8")

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                pass
        async def stopped_during(seconds: float) -> bool:
            try:
                await asyncio.wait_for(stop.wait(), seconds)
            except asyncio.TimeoutError:
                return False
            return True

        # Under `jejaring up` an exit would stop every service: wait and retry instead, until stopped.
        waited = 0
        while mode == "http" and not await drivers.wait_until_up(args.registration_url, timeout=5):
            if stop.is_set():
                return 0
            waited += 5
            if waited % 60 == 0:
                _log(f"demo: still waiting for registration at {args.registration_url}")
        while True:
            try:
                if mode == "http":
                    stale = tokens_file.exists() and not await drivers.token_works(
                        args.registration_url, drivers.load_tokens(tokens_file))
                    if not tokens_file.exists() or stale:
                        _log(f"demo: setting up {sim.net.district.name} in {out}")
                        await asyncio.to_thread(drivers.setup, sim.net, out, setup_years, log=_log)
                elif not (out / "facilities.csv").exists():
                    await asyncio.to_thread(drivers.setup, sim.net, out, setup_years, issue_tokens=False,
                                            log=_log)
                break
            except (RuntimeError, OSError, ValueError) as exc:
                _log(f"demo: set-up failed ({exc}); retrying in 30 s")
                if await stopped_during(30):
                    return 0
        if backfill_days and not stop.is_set():
            await backfill(stop)
        if stop.is_set():
            return 0
        _log(f"demo: streaming {mode} visits for {args.district} at ~{rate}/s (Ctrl-C stops)")
        skews = sim._skew  # the first chunk's device clocks are kept for the whole demo

        def live(e):  # noqa: ANN001, ANN202
            drivers.live_restamp(e, offset_hours=offset, skew_s=skews.get(e.facility_id, 0))

        if mode == "http":
            tokens = drivers.load_tokens(tokens_file)
            stats = await drivers.drive_http(endless(), url=args.registration_url, tokens=tokens,
                                             batch_size=min(args.batch_size, 50), rate=rate, concurrency=2,
                                             flush_interval=2.0, transform=live, stop=stop)
        else:
            stats = await drivers.drive_kafka(endless(), bootstrap=_bootstrap(args), rate=rate, transform=live,
                                              stop=stop)
        _log(json.dumps(stats.as_dict()))
        return 0

    return asyncio.run(main())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``jejaring simulate [setup] ...``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "setup":
        return cmd_setup(setup_parser().parse_args(argv[1:]))
    return cmd_run(run_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
