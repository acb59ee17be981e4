"""The growth-monitoring reference of the KMS / Buku KIA: the minimum monthly weight gain (KBM).

One copy of a published table, read by screening (the default of its configurable ``kbm_g``, which
judges N/T and 2T at each weighing) and by the simulator's ground truth, which judges the same weighings
with its own code; neither owns the other's computation.

[KIA2023] Buku KIA 2023: N (naik) when the gain is at least the KBM, T (tidak naik) below it. The table
is printed for 0-24 months; the month-by-month mapping is the legacy KMS table quoted in ilp-domain.md
section 2.2 [UNCONFIRMED]: 11 months and over 200 g.
"""

from __future__ import annotations

# (age in completed months from, KBM in grams per month); under the first month: no KBM.
KBM_G: tuple[tuple[int, int], ...] = (
    (1, 800), (2, 900), (3, 800), (4, 600), (5, 500), (6, 400), (7, 400), (8, 300), (9, 300), (10, 300), (11, 200),
)
