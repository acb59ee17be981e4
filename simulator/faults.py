"""Field realism: offline Posyandu, duplicates, invalid records, data-quality warnings, clock skew.

Every generated visit passes through :meth:`Faults.emit`, which returns what is actually sent:

* **offline Posyandu** (``offline_share`` of them, fixed per Posyandu): the hari buka's records are
  sent together 1-7 days later in the evening (17:00-21:00 local) — ``occurred_at`` keeps the real
  event time, only ``send_at`` moves;
* **duplicates** (``duplicate_share`` of valid visits): the same body (same ``visit_id``) sent again,
  60 % within a minute (a retry after a lost answer), 40 % one to three days later (a re-sync);
* **invalid records** (``invalid_share`` of visits): the visit is replaced by a broken copy of itself
  that registration must reject (HTTP 422 / Kafka dead letter). *Schema* defects fail
  ``shared.contracts.intake.IntakeVisit`` (out-of-range values, missing fields, malformed codes, a
  truncated JSON text); *semantic* defects pass the model and fail registration's own checks (NIK with
  an unknown province or an impossible date, ``occurred_at`` years in the future, a village in an
  unknown kab/kota, an unknown facility);
* **data-quality warnings** (``warning_share``): the record's birth date disagrees with its NIK by a
  few days — accepted, counted as ``nik_birth_date_mismatch``;
* **clock skew**: each device's clock is off by a fixed N(0, 60 s) clipped to +-180 s, applied to
  ``occurred_at`` — always inside registration's 5-minute future tolerance.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from shared.regions import RegionIndex

SCHEMA_DEFECTS: dict[str, int] = {
    "hb_g_per_l": 2,  # Hb typed in g/L (112) instead of g/dL
    "weight_in_grams": 2,
    "height_in_metres": 2,
    "systolic_extra_digit": 1,
    "diastolic_not_below_systolic": 2,
    "missing_sex": 1,
    "village_code_without_dots": 1,
    "nik_15_digits": 2,
    "no_identity": 1,
    "occurred_at_without_offset": 1,
    "visit_id_not_uuid": 1,
    "pregnancy_for_male": 1,
    "birth_after_visit": 1,
    "truncated_json": 1,
}
SEMANTIC_DEFECTS: dict[str, int] = {
    "nik_unknown_province": 1,
    "nik_impossible_date": 1,
    "occurred_at_years_ahead": 1,
    "village_in_unknown_kabupaten": 1,
    "unknown_facility": 1,
}
TIME_DEFECTS = frozenset({"occurred_at_without_offset", "occurred_at_years_ahead", "birth_after_visit",
                          "truncated_json"})
WARNING_BIRTH_MISMATCH = "nik_birth_date_mismatch"
MAX_SKEW_S = 180
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once: ~3x faster than dumps


@dataclass(frozen=True)
class FaultConfig:
    """Shares of faulty behaviour (fractions, 0..1)."""

    offline_share: float = 0.2
    duplicate_share: float = 0.02
    invalid_share: float = 0.01
    warning_share: float = 0.005
    max_offline_days: int = 7


class Emission:
    """One message to send: a body (dict, or str for a non-JSON defect) and its bookkeeping."""

    __slots__ = ("send_at", "occurred", "kind", "reason", "facility_id", "token_facility", "body", "offline")

    def __init__(self, send_at: float, occurred: float, kind: str, reason: str | None, facility_id: str,
                 token_facility: str | None, body: dict | str, offline: bool) -> None:
        self.send_at = send_at
        self.occurred = occurred
        self.kind = kind  # "valid" | "duplicate" | "invalid"
        self.reason = reason  # defect or warning name
        self.facility_id = facility_id
        self.token_facility = token_facility
        self.body = body
        self.offline = offline

    def text(self) -> str:
        """The message as sent (JSON text)."""
        return self.body if isinstance(self.body, str) else _ENCODE(self.body)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Emission({self.kind}, {self.reason}, {self.facility_id}, send_at={self.send_at:.0f})"


def _cumulative(weights: dict[str, int]) -> tuple[list[str], list[float]]:
    names = list(weights)
    total = float(sum(weights.values()))
    cum, acc = [], 0.0
    for n in names:
        acc += weights[n] / total
        cum.append(acc)
    return names, cum


_DEFECTS = _cumulative({**SCHEMA_DEFECTS, **SEMANTIC_DEFECTS})


def _unknown_kabupaten(province: str, regions: RegionIndex | None) -> str:
    for kk in range(99, 0, -1):
        code = f"{province}.{kk:02d}"
        if regions is None or code not in regions:
            return code
    return "99.99"  # pragma: no cover


def _unknown_province(regions: RegionIndex | None) -> str:
    for pp in ("10", "20", "30", "40", "50", "60", "70", "80", "90", "99"):
        if regions is None or pp not in regions:
            return pp
    return "00"  # pragma: no cover


class Faults:
    """Decides, deterministically by seed, what happens to each generated visit on its way out."""

    def __init__(self, config: FaultConfig, *, seed: int, offset_hours: int, posyandu_ids: list[str],
                 province: str, regions: RegionIndex | None = None) -> None:
        self.cfg = config
        self.seed = seed
        self.offset_h = offset_hours
        self.rng = random.Random(f"faults:{seed}")
        pick = random.Random(f"offline:{seed}")
        self.offline = {pid for pid in sorted(posyandu_ids) if pick.random() < config.offline_share}
        self._skews: dict[str, int] = {}
        self.bad_kabupaten = _unknown_kabupaten(province, regions)
        self.bad_province = _unknown_province(regions)

    # ------------------------------------------------------------------ device behaviour
    def skew(self, facility_id: str) -> int:
        """The fixed clock error of a facility's device, in seconds (|skew| <= 180)."""
        s = self._skews.get(facility_id)
        if s is None:
            r = random.Random(f"skew:{self.seed}:{facility_id}")
            s = max(-MAX_SKEW_S, min(MAX_SKEW_S, round(r.gauss(0.0, 60.0))))
            self._skews[facility_id] = s
        return s

    def posyandu_batch(self, posyandu, day) -> float | None:  # noqa: ANN001
        """Send time (epoch) of an offline Posyandu's batch for the hari buka ``day``; None when online."""
        if posyandu.facility_id not in self.offline:
            return None
        r = random.Random(f"batch:{self.seed}:{posyandu.facility_id}:{day.isoformat()}")
        delay = 1 + int(r.random() * self.cfg.max_offline_days)
        secs = 17 * 3600 + int(r.random() * 4 * 3600)
        return (day.toordinal() - 719163 + delay) * 86400.0 + secs - self.offset_h * 3600

    # ------------------------------------------------------------------ per record
    def emit(self, fac, body: dict, occurred: float, send: float, offline: bool) -> list[Emission]:  # noqa: ANN001
        rng = self.rng
        token = fac.puskesmas_id
        cfg = self.cfg
        if rng.random() < cfg.invalid_share:
            reason = _pick(_DEFECTS, rng.random())
            return [Emission(send, occurred, "invalid", reason, fac.facility_id, token, self.corrupt(body, reason, rng),
                             offline)]
        reason = None
        if cfg.warning_share and rng.random() < cfg.warning_share and "nik" in body["person"] \
                and "mother_nik" not in body["person"]:
            body = {**body, "person": dict(body["person"])}
            y, mo, d = body["person"]["birth_date"].split("-")
            shifted = int(d) + (1 if int(d) < 27 else -2)
            body["person"]["birth_date"] = f"{y}-{mo}-{shifted:02d}"
            reason = WARNING_BIRTH_MISMATCH
        out = [Emission(send, occurred, "valid", reason, fac.facility_id, token, body, offline)]
        if rng.random() < cfg.duplicate_share:
            later = send + (1 + rng.random() * 59 if rng.random() < 0.6 else 86400 * (1 + rng.random() * 2))
            out.append(Emission(later, occurred, "duplicate", reason, fac.facility_id, token, body, offline))
        return out

    def corrupt(self, body: dict, reason: str, rng: random.Random) -> dict | str:
        """A copy of ``body`` with the defect ``reason``."""
        b = {**body, "person": dict(body["person"]), "measurements": dict(body["measurements"])}
        if "pregnancy" in b:
            b["pregnancy"] = dict(b["pregnancy"])
        p, m = b["person"], b["measurements"]
        if reason == "hb_g_per_l":
            m["hb_g_dl"] = round(10 * m.get("hb_g_dl", 11.2), 0)
        elif reason == "weight_in_grams":
            m["weight_kg"] = round(1000 * m.get("weight_kg", 5.2))
        elif reason == "height_in_metres":
            m["height_cm"] = round(m.get("height_cm", 152.0) / 100, 2)
        elif reason == "systolic_extra_digit":
            m["systolic_mmhg"] = 10 * m.get("systolic_mmhg", 120)
            m.setdefault("diastolic_mmhg", 80)
        elif reason == "diastolic_not_below_systolic":
            m["systolic_mmhg"], m["diastolic_mmhg"] = m.get("diastolic_mmhg", 80), m.get("systolic_mmhg", 120)
        elif reason == "missing_sex":
            p.pop("sex", None)
        elif reason == "village_code_without_dots":
            p["village_code"] = p["village_code"].replace(".", "")
        elif reason == "nik_15_digits":
            field = "nik" if "nik" in p else "mother_nik"
            p[field] = p[field][:15]
        elif reason == "no_identity":
            p.pop("nik", None)
            p.pop("mother_nik", None)
        elif reason == "occurred_at_without_offset":
            b["occurred_at"] = b["occurred_at"][:19]
        elif reason == "visit_id_not_uuid":
            b["visit_id"] = f"KUNJ-{rng.randrange(10**8):08d}"
        elif reason == "pregnancy_for_male":
            p["sex"] = "M"
            b.setdefault("pregnancy", {"gestational_weeks": 20})
        elif reason == "birth_after_visit":
            y, rest = b["occurred_at"][:4], b["occurred_at"][4:10]
            p["birth_date"] = f"{int(y) + 1}{rest}"
        elif reason == "truncated_json":
            text = _ENCODE(b)
            return text[: len(text) // 2]
        elif reason == "nik_unknown_province":
            field = "nik" if "nik" in p else "mother_nik"
            p[field] = self.bad_province + p[field][2:]
        elif reason == "nik_impossible_date":
            field = "nik" if "nik" in p else "mother_nik"
            p[field] = p[field][:8] + "13" + p[field][10:]
        elif reason == "occurred_at_years_ahead":
            b["occurred_at"] = f"{int(b['occurred_at'][:4]) + 10}{b['occurred_at'][4:]}"
        elif reason == "village_in_unknown_kabupaten":
            p["village_code"] = self.bad_kabupaten + p["village_code"][5:]
        elif reason == "unknown_facility":
            b["facility_id"] = f"{body['facility_id']}X"
        else:  # pragma: no cover
            raise ValueError(reason)
        return b


def _pick(table: tuple[list[str], list[float]], u: float) -> str:
    names, cum = table
    for name, c in zip(names, cum):
        if u < c:
            return name
    return names[-1]
