"""The indicator registry: every PWS indicator once (id, Indonesian label, numerator, denominator,
unit, target, colour thresholds, source), with the judges that read events.

Two kinds: ``count`` — events counted per (village, month of event time); ``person`` — each person
counts once per period, by their latest qualifying measurement. Adding an indicator is one
:class:`Indicator` entry in :data:`REGISTRY` plus its tests.

No threshold lives here: an indicator that judges a measurement reads the verdict screening emitted
on *visit screened* (``facts.pws``), computed once with the contract's definitions
(``services/screening/domain/facts.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from shared.contracts.events import (
    EventData,
    ReferralMade,
    ReferralUpdated,
    TargetGroup,
    VisitRecorded,
    VisitScreened,
)

TARGET_GROUPS: tuple[str, ...] = get_args(TargetGroup)


Kind = Literal["count", "person"]


Direction = Literal["up", "down"]


@dataclass(frozen=True)
class Indicator:
    """One PWS indicator.

    ``judge(event)``: for ``count``, whether the event counts, or how many it counts for (an int,
    e.g. the risks listed on a screened visit); for ``person``, None when the event says nothing
    about this indicator, else whether the person is in the numerator.
    ``base``: what the percentage is of — None (a plain count), ``"measured"`` (the persons
    judged), or ``"target:<group>[+<group>]"`` (the annual target population, *sasaran*).
    ``target``: percent; ``direction``: ``"up"`` when higher is better (coverage), ``"down"`` when
    lower is better (prevalence). ``ytd``: how the target applies to the year-to-date value —
    ``"flat"`` (the same target every month) or ``"prorata"`` (an annual coverage target that
    accrues: target/12 for one month, target × month/12 cumulatively, the PWS-KIA way).
    """

    id: str
    label: str
    short: str
    kind: Kind
    event: type[EventData]
    judge: Callable[[Any], bool | int | None]
    numerator: str
    denominator: str | None = None
    base: str | None = None
    unit: str = "%"
    target: float | None = None
    direction: Direction = "up"
    yellow_ratio: float = 0.8
    ytd: Literal["flat", "prorata"] = "flat"
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("count", "person"):
            raise ValueError(f"{self.id}: kind must be count or person")
        if self.base is not None and self.base != "measured" and not self.base.startswith("target:"):
            raise ValueError(f"{self.id}: base must be None, 'measured' or 'target:<group>'")
        if self.kind == "count" and self.base is not None:
            raise ValueError(f"{self.id}: a count indicator has no denominator")
        for group in self.target_groups:
            if group not in TARGET_GROUPS:
                raise ValueError(f"{self.id}: unknown target group {group!r}")
        if (self.base is None) != (self.denominator is None):
            raise ValueError(f"{self.id}: describe the denominator exactly when there is one")
        if self.base is None and self.target is not None:
            raise ValueError(f"{self.id}: a target needs a percentage (a denominator)")
        if not 0 < self.yellow_ratio <= 1:
            raise ValueError(f"{self.id}: yellow_ratio must be in (0, 1]")

    @property
    def target_groups(self) -> tuple[str, ...]:
        """The target populations summed for the denominator (empty unless ``base`` is a target)."""
        if self.base and self.base.startswith("target:"):
            return tuple(self.base.split(":", 1)[1].split("+"))
        return ()

    def meta(self) -> dict:
        """The registry entry as the API shows it."""
        return {
            "id": self.id, "label": self.label, "short": self.short, "kind": self.kind,
            "numerator": self.numerator, "denominator": self.denominator, "base": self.base,
            "unit": self.unit, "target": self.target, "direction": self.direction,
            "yellow_ratio": self.yellow_ratio, "ytd": self.ytd, "source": self.source,
            "event": self.event.ce_type,
        }


def _pregnant_served(e: VisitRecorded) -> bool | None:
    return True if e.pregnancy is not None else None


def _weighed(e: VisitRecorded) -> bool | None:
    return True if e.stage == "under_five" and e.measurements.weight_kg is not None else None


PwsFact = Literal["hypertension", "diabetes", "anemia_pregnancy", "kek_pregnancy", "tb_presumptive", "underweight",
                  "stunting", "wasting"]


def _fact(name: PwsFact) -> Callable[[VisitScreened], bool | None]:
    """The verdict screening gave the visit (``VisitScreened.facts.pws``): the thresholds are screening's.

    ``None`` (the visit says nothing about the indicator) when the fact is ``None``, and for a screened
    visit without ``facts`` (an older screening): the dashboard keeps no copy of the thresholds to fall
    back on (docs/dashboard.md, "Judged by screening").
    """

    def judge(e: VisitScreened) -> bool | None:
        facts = e.facts
        return None if facts is None else getattr(facts.pws, name)

    judge.__name__ = f"fact_{name}"
    return judge


def _bp_screened(e: VisitScreened) -> bool | None:
    """People >= 15 y with both pressures measured: exactly those screening judged for ``hypertension``."""
    facts = e.facts
    return True if facts is not None and facts.pws.hypertension is not None else None


SpmFact = Literal["spm_productive_screened", "spm_elderly_screened", "spm_hypertension_care", "spm_diabetes_care"]


def _happened(name: SpmFact) -> Callable[[VisitScreened], bool | None]:
    """True when screening's SPM verdict (``facts.pws``) is True, else no observation: a person counts in the
    period the qualifying service happened, and once in the year to date, whatever their later visits."""

    def judge(e: VisitScreened) -> bool | None:
        facts = e.facts
        return True if facts is not None and getattr(facts.pws, name) else None

    judge.__name__ = f"happened_{name}"
    return judge


def _ttd_adolescent_girl(e: VisitScreened) -> bool | None:
    """A girl 10-17 y given iron-folic acid tablets (screening's ``facts.services.ttd_adolescent_girl``)."""
    facts = e.facts
    return True if facts is not None and facts.services.ttd_adolescent_girl else None


def _delivery_facility(e: VisitScreened) -> bool | None:
    """A delivery first reported at this visit took place at a health facility (``facts.services``)."""
    facts = e.facts
    return True if facts is not None and facts.services.delivery_facility else None


def _tb_examined(e: VisitScreened) -> bool | None:
    """Presumptive (False) or examined (True): screening's ``facts.pws.tb_examined``; the latest counts."""
    facts = e.facts
    return None if facts is None else facts.pws.tb_examined


def _status(status: str) -> Callable[[ReferralUpdated], bool]:
    return lambda e: e.status == status


def _has_data_quality_warning(e: VisitRecorded) -> bool:
    return bool(e.data_quality)


def _always(_e: Any) -> bool:
    return True


def _risks_listed(e: VisitScreened) -> int:
    """One per risk the screening found: ``risk_codes`` lists exactly the risks it emitted."""
    return len(e.risk_codes)


REGISTRY: tuple[Indicator, ...] = (
    Indicator("visits", "Kunjungan tercatat", "Kunjungan", "count", VisitRecorded, _always,
              numerator="kunjungan tercatat", unit="kunjungan", source="contracts.md"),
    Indicator("children_weighed", "Balita ditimbang (D/S)", "D/S", "person", VisitRecorded, _weighed,
              numerator="balita ditimbang (D)", denominator="sasaran balita (S)", base="target:under_five",
              target=80, source="SKDN D/S [SKDN-SCRIBD]; target 80 % [UNCONFIRMED]"),
    Indicator("underweight", "Balita berat badan kurang (BB/U < −2 SD)", "BB kurang", "person", VisitScreened,
              _fact("underweight"), numerator="balita BB/U < −2 SD", denominator="balita ditimbang",
              base="measured", direction="down",
              source="PMK 2/2020 [PMK2-FLIP]; WHO prevalence rules (implausible z-scores left out, oedema < −3 SD)"),
    Indicator("stunting", "Balita pendek/stunting (TB/U < −2 SD)", "Stunting", "person", VisitScreened,
              _fact("stunting"), numerator="balita TB/U < −2 SD", denominator="balita diukur panjang/tinggi",
              base="measured", target=14, direction="down",
              source="PMK 2/2020 [PMK2-FLIP]; target 14 % RPJMN 2020–2024 [UNCONFIRMED here]"),
    Indicator("wasting", "Balita gizi kurang/wasting (BB/TB < −2 SD)", "Wasting", "person", VisitScreened,
              _fact("wasting"), numerator="balita BB/TB < −2 SD", denominator="balita diukur BB dan TB",
              base="measured", target=7, direction="down",
              source="PMK 2/2020 [PMK2-FLIP]; target 7 % RPJMN 2020–2024 [UNCONFIRMED here]"),
    Indicator("anemia_pregnancy", "Ibu hamil anemia (Hb < 11 g/dL)", "Anemia bumil", "person", VisitScreened,
              _fact("anemia_pregnancy"), numerator="ibu hamil Hb < 11 g/dL", denominator="ibu hamil diperiksa Hb",
              base="measured", direction="down", source="[WHO-HB]"),
    Indicator("kek_pregnancy", "Ibu hamil KEK (LiLA < 23,5 cm)", "KEK bumil", "person", VisitScreened,
              _fact("kek_pregnancy"),
              numerator="ibu hamil LiLA < 23,5 cm", denominator="ibu hamil diukur LiLA", base="measured",
              direction="down", source="[ILP-T 03-pmt-ibu-hamil-kek]"),
    Indicator("hypertension", "Hipertensi usia ≥ 15 th (≥ 140/90 mmHg)", "Hipertensi", "person", VisitScreened,
              _fact("hypertension"), numerator="penduduk ≥ 15 th dengan TD ≥ 140/90",
              denominator="penduduk ≥ 15 th diukur TD", base="measured", direction="down",
              source="[ILP-T 02-skrining-hipertensi]"),
    Indicator("diabetes", "Diabetes (GDS ≥ 200 / GDP ≥ 126 mg/dL)", "Diabetes", "person", VisitScreened,
              _fact("diabetes"),
              numerator="penduduk ≥ 15 th GDS ≥ 200 atau GDP ≥ 126", denominator="penduduk ≥ 15 th diperiksa gula darah",
              base="measured", direction="down", source="[ILP-T 03-skrining-dm]"),
    Indicator("tb_presumptive", "Terduga TBC", "Terduga TBC", "person", VisitScreened, _fact("tb_presumptive"),
              numerator="orang terduga TBC menurut kriteria skrining (batuk ≥ 2 minggu; anak: juga demam ≥ 2 minggu, "
              "BB turun/tidak naik, lesu)", unit="orang",
              source="[ILP-T 10-skrining-tb; remaja 02-skrining-tb]; contracts.md Corrections to v1"),
    Indicator("pregnant_served", "Ibu hamil mendapat pelayanan (≈ K1 akses)", "Bumil dilayani", "person",
              VisitRecorded, _pregnant_served, numerator="ibu hamil dilayani", denominator="sasaran ibu hamil",
              base="target:pregnant", target=100, ytd="prorata",
              source="SPM ibu hamil, Permenkes 4/2019 [KEB-ILP]; proxy of K1 akses [UNCONFIRMED]"),
    Indicator("bp_screened", "Penduduk ≥ 15 th diukur tekanan darah", "Skrining TD", "person", VisitScreened,
              _bp_screened, numerator="penduduk ≥ 15 th diukur TD", denominator="sasaran usia 15–59 th dan lansia",
              base="target:adult_15_59+elderly", target=100, ytd="prorata",
              source="SPM usia produktif/hipertensi, Permenkes 4/2019 [KEB-ILP]"),
    Indicator("ttd_adolescent_girls", "Remaja putri mendapat tablet tambah darah (TTD)", "TTD rematri", "person",
              VisitScreened, _ttd_adolescent_girl,
              numerator="remaja putri 10–17 th (tidak hamil) yang diberi TTD",
              denominator="sasaran remaja putri 10–17 th", base="target:adolescent_girl", ytd="prorata",
              source="ILP dashboard klaster 2 (remaja putri minum TTD) [ILP-T 08-pencatatan/02-pelaporan]; "
              "TTD 60 mg besi + 400 µg asam folat [ILP-T 03-anak-sekolah-remaja/01-skrining-anemia]; "
              "no national target set here [UNCONFIRMED]"),
    Indicator("spm_productive_screened", "Usia produktif (15–59 th) mendapat skrining kesehatan sesuai standar",
              "SPM usia produktif", "person", VisitScreened, _happened("spm_productive_screened"),
              numerator="penduduk 15–59 th yang diukur BB, TB, lingkar perut, tekanan darah dan gula darah",
              denominator="sasaran usia 15–59 th", base="target:adult_15_59", target=100, ytd="prorata",
              source="SPM usia produktif, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; target 100 %"),
    Indicator("spm_elderly_screened", "Lansia (≥ 60 th) mendapat skrining kesehatan sesuai standar", "SPM lansia",
              "person", VisitScreened, _happened("spm_elderly_screened"),
              numerator="penduduk ≥ 60 th yang diukur BB, TB/LiLA, lingkar perut, tekanan darah, gula darah, "
              "kolesterol, ADL, dan diskrining SKILAS (atau AMT/Mini-Cog dan GDS-4)",
              denominator="sasaran lansia ≥ 60 th", base="target:elderly", target=100, ytd="prorata",
              source="SPM lansia, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; SKILAS/ADL [ILP-T 03-lansia/01-skrining-geriatri]; "
              "target 100 %"),
    Indicator("spm_hypertension_care", "Penderita hipertensi (≥ 15 th) mendapat pelayanan sesuai standar",
              "SPM hipertensi", "person", VisitScreened, _happened("spm_hypertension_care"),
              numerator="penduduk ≥ 15 th diukur TD di fasyankes (Pustu, Puskesmas, RS) dengan TD ≥ 140/90 "
              "atau diagnosis hipertensi (I10–I15)",
              denominator="estimasi penderita hipertensi ≥ 15 th", base="target:hypertension_estimated", target=100,
              ytd="prorata", source="SPM penderita hipertensi, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; "
              "[ILP-T 02-skrining-hipertensi]; target 100 %"),
    Indicator("spm_diabetes_care", "Penderita diabetes melitus (≥ 15 th) mendapat pelayanan sesuai standar",
              "SPM DM", "person", VisitScreened, _happened("spm_diabetes_care"),
              numerator="penduduk ≥ 15 th diperiksa gula darah di fasyankes (Pustu, Puskesmas, RS) dengan GDS ≥ 200 / "
              "GDP ≥ 126 atau diagnosis DM (E10–E14)",
              denominator="estimasi penderita DM ≥ 15 th", base="target:diabetes_estimated", target=100,
              ytd="prorata", source="SPM penderita DM, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; [ILP-T 03-skrining-dm]; "
              "target 100 %"),
    Indicator("tb_examined", "Terduga TBC diperiksa (TCM, BTA atau rontgen)", "TBC diperiksa", "person",
              VisitScreened, _tb_examined,
              numerator="orang terduga TBC dengan pemeriksaan TBC tercatat",
              denominator="orang terduga TBC (dan orang dengan pemeriksaan TBC tercatat)", base="measured",
              target=100, source="SPM orang terduga TBC, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; "
              "alur TCM [ILP-T 10-skrining-tb]; target 100 %"),
    Indicator("delivery_facility", "Persalinan di fasilitas pelayanan kesehatan", "Persalinan fasyankes", "person",
              VisitScreened, _delivery_facility,
              numerator="ibu bersalin di RS, Puskesmas, Pustu, klinik atau praktik mandiri bidan (dilaporkan pada "
              "kunjungan nifas)", denominator="sasaran ibu bersalin", base="target:maternal", target=100,
              ytd="prorata", source="SPM ibu bersalin, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; ILP dashboard klaster 2 "
              "(persalinan di fasyankes) [ILP-T 08-pencatatan/02-pelaporan]; target 100 %"),
    Indicator("data_quality_warnings", "Kunjungan dengan peringatan kualitas data (NIK)", "Kualitas data", "count",
              VisitRecorded, _has_data_quality_warning,
              numerator="kunjungan yang NIK-nya tidak cocok dengan tanggal lahir/jenis kelamin", unit="kunjungan",
              source="registration NIK checks (ilp-domain.md §4.2)"),
    Indicator("risks_detected", "Risiko terdeteksi", "Risiko", "count", VisitScreened, _risks_listed,
              numerator="risiko terdeteksi skrining", unit="risiko", source="aturan skrining (screening)"),
    Indicator("referrals_made", "Rujukan dibuat", "Rujukan", "count", ReferralMade, _always,
              numerator="rujukan dibuat", unit="rujukan", source="contracts.md"),
    Indicator("referrals_completed", "Rujukan selesai (rujuk balik)", "Rujukan selesai", "count", ReferralUpdated,
              _status("completed"), numerator="rujukan selesai", unit="rujukan", source="contracts.md"),
    Indicator("referrals_overdue", "Rujukan terlambat", "Rujukan terlambat", "count", ReferralUpdated,
              _status("overdue"), numerator="rujukan melewati batas waktu", unit="rujukan", source="contracts.md"),
)


BY_ID: dict[str, Indicator] = {i.id: i for i in REGISTRY}


def validate_registry(registry: Iterable[Indicator]) -> None:
    """Raise ValueError if ids repeat."""
    seen: set[str] = set()
    for indicator in registry:
        if indicator.id in seen:
            raise ValueError(f"duplicate indicator id {indicator.id!r}")
        seen.add(indicator.id)


def with_targets(registry: tuple[Indicator, ...], overrides: Mapping[str, float | None]) -> tuple[Indicator, ...]:
    """The registry with targets replaced from configuration (unknown ids are an error)."""
    unknown = sorted(set(overrides) - {i.id for i in registry})
    if unknown:
        raise ValueError(f"target for unknown indicator(s): {', '.join(unknown)}")
    return tuple(dataclasses.replace(i, target=overrides[i.id]) if i.id in overrides else i for i in registry)


def verdicts(registry: Iterable[Indicator], event: EventData) -> list[tuple[Indicator, bool | int]]:
    """Every (indicator, verdict) an event contributes: counts that count (True, or how many),
    person judgements made."""
    out: list[tuple[Indicator, bool | int]] = []
    for indicator in registry:
        if not isinstance(event, indicator.event):
            continue
        verdict = indicator.judge(event)
        if indicator.kind == "count":
            if verdict:
                out.append((indicator, verdict))
        elif verdict is not None:
            out.append((indicator, bool(verdict)))
    return out
