"""Random variates of the simulator, deterministic by seed: Poisson and binomial counts, UUIDs,
and a pick from cumulative weights."""

from __future__ import annotations

import bisect
import random
from math import exp, sqrt


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson variate (Knuth below 30, rounded normal above)."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, prod = exp(-lam), 0, rng.random()
        while prod > limit:
            k += 1
            prod *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, sqrt(lam))))


def binomial(rng: random.Random, n: int, p: float) -> int:
    """Binomial variate (exact below 40 trials, normal approximation above)."""
    if n <= 0 or p <= 0:
        return 0
    if n < 40:
        r = rng.random
        return sum(1 for _ in range(n) if r() < p)
    mean = n * p
    return min(n, max(0, round(rng.gauss(mean, sqrt(mean * (1 - p))))))


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
TWO_DIGITS = tuple(f"{i:02d}" for i in range(100))


def uuid4_text(rng: random.Random) -> str:
    """A random version-4 UUID string drawn from ``rng`` (deterministic by seed)."""
    h = rng.randbytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def pick(cumulative: list[int], u: float) -> int:
    """The index of the first cumulative weight above ``u`` (the last one if none is)."""
    return min(bisect.bisect_right(cumulative, u), len(cumulative) - 1)
