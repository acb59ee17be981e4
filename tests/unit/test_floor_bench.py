"""The floor benchmark's key-order measurement: its ids sort as made, and it covers every row once."""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from pathlib import Path

SPEC = importlib.util.spec_from_file_location("floor_bench", Path(__file__).resolve().parents[2] / "bench" / "floor.py")
floor = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(floor)


def test_time_ordered_ids_sort_as_made_across_milliseconds() -> None:
    ids = [floor.time_ordered_uuid(i, base_ms=1_764_000_000_000) for i in range(0, 10_000, 7)]
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids[0].int >> 80 == 1_764_000_000_000 and ids[-1].int >> 80 == 1_764_000_000_002


def test_key_order_stretches_cover_the_table_and_double() -> None:
    for ordered in (False, True):
        stretches = asyncio.run(floor.inbox_key_order_us(3_100, ordered=ordered))
        assert stretches[0][0] == 0 and stretches[-1][1] == 3_100
        assert all(prev[1] == nxt[0] for prev, nxt in zip(stretches, stretches[1:]))
        lengths = [last - first for first, last, _ in stretches]
        assert lengths == [100, 200, 400, 800, 1_600]
        assert all(cost > 0 for _, _, cost in stretches)
