"""The indicator registry: every PWS indicator once (id, Indonesian label, numerator, denominator,
unit, target, colour thresholds, source), with the judges that read events.

Over 300 lines on purpose: every PWS indicator is one entry of one table, read top to bottom.

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
from functools import cached_property
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


Ytd = Literal["flat", "prorata", "monthly", "semester", "cumulative"]
YTD_RESETS: dict[str, tuple[int, ...]] = {"semester": (7,)}  # months at which the year-to-date value restarts


@dataclass(frozen=True)
class Indicator:
    """One PWS indicator.

    ``judge(event)``: for ``count``, whether the event counts, or how many it counts for (an int,
    e.g. the risks listed on a screened visit); for ``person``, None when the event says nothing
    about this indicator, else whether the person is in the numerator.
    ``base``: what the percentage is of — None (a plain count), ``"measured"`` (the persons
    judged), ``"target:<group>[+<group>]"`` (the annual target population, *sasaran*), or
    ``"ytd:<indicator>"`` (another person-level indicator's year-to-date numerator in the same area, e.g.
    D/K: K is the children known since January).
    ``target``: percent; ``direction``: ``"up"`` when higher is better (coverage), ``"down"`` when
    lower is better (prevalence). ``ytd``: how the target applies to the year-to-date value —
    ``"flat"`` (the same target every month) or ``"prorata"`` (an annual coverage target that
    accrues: target/12 for one month, target × month/12 cumulatively, the PWS-KIA way), ``"monthly"``
    (a monthly ratio such as the SKDN ones: no year-to-date value, its year-to-date cell is empty),
    ``"semester"`` (the year-to-date value restarts in July: January–June and July–December, the vitamin A
    rounds of February and August) or ``"cumulative"`` (the indicator is cumulative by definition, e.g. K:
    the monthly cell shows the year-to-date value too).
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
    ytd: Ytd = "flat"
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("count", "person"):
            raise ValueError(f"{self.id}: kind must be count or person")
        if self.base is not None and self.base != "measured" and not self.base.startswith(("target:", "ytd:")):
            raise ValueError(f"{self.id}: base must be None, 'measured', 'target:<group>' or 'ytd:<indicator>'")
        if self.ytd not in YTD_RESETS and self.ytd not in ("flat", "prorata", "monthly", "cumulative"):
            raise ValueError(f"{self.id}: unknown ytd {self.ytd!r}")
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

    @cached_property
    def ytd_of(self) -> str | None:
        """The indicator whose year-to-date numerator is the denominator (``base="ytd:<id>"``), else None."""
        if self.base and self.base.startswith("ytd:"):
            return self.base.split(":", 1)[1]
        return None

    @cached_property
    def ytd_resets(self) -> tuple[int, ...]:
        """Months at which the year-to-date value restarts (none but January for most)."""
        return YTD_RESETS.get(self.ytd, ())

    @cached_property
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




def _reached(path: str) -> Callable[[VisitScreened], bool | None]:
    """True at the visit where screening's fact ``block.field`` holds (a milestone reached, a service given),
    else no observation: the person counts in the period it happened, once, and stays counted in that
    year's cumulative whatever their later visits."""
    block, name = path.split(".")

    def judge(e: VisitScreened) -> bool | None:
        facts = e.facts
        part = getattr(facts, block) if facts is not None else None
        return True if part is not None and getattr(part, name) else None

    judge.__name__ = f"reached_{block}_{name}"
    judge.shape = ("reached", block, name)  # what compiled_verdicts inlines
    return judge


def _low_birth_weight(e: VisitScreened) -> bool | None:
    nb = e.facts.newborn if e.facts is not None else None
    return None if nb is None else nb.low_birth_weight


def _growth(test: Callable[[Any], bool]) -> Callable[[VisitScreened], bool | None]:
    """An SKDN ratio over D: None unless the child was weighed (``facts.growth``), else ``test(growth)``."""

    def judge(e: VisitScreened) -> bool | None:
        g = e.facts.growth if e.facts is not None else None
        return None if g is None or not g.weighed else bool(test(g))

    return judge


def _known_under_five(e: VisitRecorded) -> bool | None:
    """K (proxy): an under-five seen by the system (any visit, weighed or not)."""
    return True if e.stage == "under_five" else None



def _kpsp(e: VisitScreened) -> bool | None:
    return True if e.stage == "under_five" and e.facts is not None and e.facts.services.kpsp is not None else None


def _weighed(e: VisitRecorded) -> bool | None:
    return True if e.stage == "under_five" and e.measurements.weight_kg is not None else None


PwsFact = Literal["hypertension", "diabetes", "anemia_pregnancy", "kek_pregnancy", "tb_presumptive", "underweight",
                  "stunting", "wasting", "severe_wasting", "tb_examined"]


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
    judge.shape = ("fact", name)  # what compiled_verdicts inlines
    return judge


def _bp_screened(e: VisitScreened) -> bool | None:
    """People >= 15 y with both pressures measured: exactly those screening judged for ``hypertension``."""
    facts = e.facts
    return True if facts is not None and facts.pws.hypertension is not None else None


SpmFact = Literal["spm_productive_screened", "spm_elderly_screened", "spm_hypertension_care", "spm_diabetes_care"]






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
              target=80, ytd="monthly",
              source="SKDN D/S, a monthly ratio [SKDN-SCRIBD] (ilp-domain §3.2, §9.4); target 80 % [UNCONFIRMED]"),
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
    # -- pregnancy, newborns, under-fives (ILP klaster 2, PWS KIA / PWS Gizi) --
    Indicator("anc_k1", "Cakupan K1 (akses) ibu hamil", "K1", "person", VisitScreened, _reached("anc.k1"),
              numerator="ibu hamil yang kontak ANC standar pertamanya (K1) dalam kehamilan ini jatuh pada periode",
              denominator="sasaran ibu hamil", base="target:pregnant", target=100, ytd="prorata",
              source="contracts.md Extensions (2026-12); K1 akses ilp-domain §9.3 [S24][S25]; rumus PWS KIA §3.2 "
              "[PWS-SCRIBD-2]; target 100 % SPM ibu hamil, Permenkes 4/2019 [KEB-ILP] [UNCONFIRMED for K1]"),
    Indicator("anc_k1_murni", "Cakupan K1 murni (K1 pada trimester 1)", "K1 murni", "person", VisitScreened,
              _reached("anc.k1_murni"),
              numerator="ibu hamil yang K1-nya jatuh pada periode dan pada trimester 1 (≤ 13 minggu)",
              denominator="sasaran ibu hamil", base="target:pregnant", ytd="prorata",
              source="K1 murni = kontak pertama di trimester 1, ilp-domain §9.3 [S24][S25]; SATUSEHAT K1M [ANC-IG]; "
              "target tidak ditemukan"),
    Indicator("anc_k4", "Cakupan K4 ibu hamil", "K4", "person", VisitScreened, _reached("anc.k4"),
              numerator="ibu hamil yang mencapai kontak ke-4 pada periode dengan ≥ 1 di trimester 1, ≥ 1 di "
              "trimester 2 dan ≥ 2 di trimester 3 (atau anc_visit_number 4 dari fasilitas)",
              denominator="sasaran ibu hamil", base="target:pregnant", target=100, ytd="prorata",
              source="contracts.md Extensions (2026-12); K4 1-1-2 ilp-domain §9.3 [S26]; SPM ibu hamil, Permenkes "
              "4/2019 [KEB-ILP], target 100 %"),
    Indicator("anc_k6", "Cakupan K6 ibu hamil", "K6", "person", VisitScreened, _reached("anc.k6"),
              numerator="ibu hamil yang mencapai kontak ke-6 pada periode dengan ≥ 1, ≥ 2, ≥ 3 kontak di trimester "
              "1, 2, 3 dan ≥ 2 oleh dokter (atau anc_visit_number 6 dari fasilitas)",
              denominator="sasaran ibu hamil", base="target:pregnant", target=100, ytd="prorata",
              source="contracts.md Extensions (2026-12); ANC 6 kali [ILP-T 01-anc-terpadu]; ilp-domain §9.3 "
              "[UNCONFIRMED in PMK 21/2021]; target 100 % revisi SPM [S22] [UNCONFIRMED]"),
    Indicator("triple_elimination_tested", "Ibu hamil diperiksa HIV, sifilis dan hepatitis B", "Triple eliminasi",
              "person", VisitScreened, _reached("services.triple_elimination_complete"),
              numerator="ibu hamil yang ketiga pemeriksaannya (HIV, sifilis, HBsAg) lengkap dalam kehamilan ini, "
              "dihitung pada periode pemeriksaan ketiga",
              denominator="sasaran ibu hamil", base="target:pregnant", target=100, ytd="prorata",
              source="triple eliminasi pada ANC [ILP-T 01-anc-terpadu]; Permenkes 52/2017 (eliminasi penularan HIV, "
              "sifilis, hepatitis B dari ibu ke anak); target 100 % [UNCONFIRMED]"),
    Indicator("kf_complete", "Kunjungan nifas lengkap (KF lengkap)", "KF lengkap", "person", VisitScreened,
              _reached("services.kf_complete"),
              numerator="ibu nifas yang mendapat KF1, KF2, KF3 dan KF4 sejak persalinan, dihitung pada periode KF "
              "terakhirnya",
              denominator="sasaran ibu bersalin/nifas", base="target:maternal", target=100, ytd="prorata",
              source="KF1 6 jam–2 hari, KF2 3–7, KF3 8–28, KF4 29–42 hari [ILP-T 05-pelayanan-nifas]; Permenkes "
              "21/2021; sasaran 1,05 × CBR × penduduk (ilp-domain §3.2) [PWS-SCRIBD-1]; target 100 % [UNCONFIRMED]"),
    Indicator("kn_complete", "Kunjungan neonatal lengkap (KN lengkap)", "KN lengkap", "person", VisitScreened,
              _reached("newborn.kn_complete"),
              numerator="bayi baru lahir yang mendapat KN1, KN2 dan KN3, dihitung pada periode KN terakhirnya",
              denominator="sasaran bayi baru lahir", base="target:newborn", target=100, ytd="prorata",
              source="KN lengkap = 3 kunjungan [ILP-T 01-neonatal]; SPM bayi baru lahir, Permenkes 4/2019 "
              "[KEB-ILP], target 100 %; sasaran = CBR × penduduk (ilp-domain §3.2) [PWS-SCRIBD-1]"),
    Indicator("low_birth_weight", "Bayi berat badan lahir rendah (BBLR < 2.500 g)", "BBLR", "person", VisitScreened,
              _low_birth_weight, numerator="bayi baru lahir dengan berat lahir < 2.500 g",
              denominator="bayi baru lahir dengan berat lahir tercatat", base="measured", direction="down",
              source="contracts.md Extensions (2026-12); [ILP-T 03-bblr]"),
    Indicator("immunization_complete", "Imunisasi dasar lengkap (IDL) bayi", "IDL", "person", VisitScreened,
              _reached("immunization.idl_complete"),
              numerator="bayi yang melengkapi imunisasi dasar (HB0, BCG, OPV1–4, DPT-HB-Hib1–3, IPV1, MR1) "
              "sebelum ulang tahun pertama, dihitung pada periode dosis terakhir",
              denominator="sasaran bayi (surviving infant)", base="target:infant", target=90, ytd="prorata",
              source="contracts.md Extensions (2026-12); IDL sebelum usia 1 tahun, Permenkes 42/2013 ilp-domain §9.2 "
              "[S21]; target 90 % (Renstra Kemenkes 2020–2024) [UNCONFIRMED]"),
    Indicator("skdn_k_s", "Liputan program (K/S)", "K/S", "person", VisitRecorded, _known_under_five,
              numerator="balita yang dikenal sistem tahun ini (K: pernah ditimbang atau berkunjung sejak Januari; "
              "proksi balita ber-KMS/Buku KIA)", denominator="sasaran balita (S)", base="target:under_five",
              target=80, ytd="cumulative",
              source="SKDN K/S [SKDN-SCRIBD] (ilp-domain §3.2, §9.4); K = proksi: tidak ada input KMS/Buku KIA; "
              "target 80 % Indonesia Sehat 2010 [SKDN-SCRIBD] [S]"),
    Indicator("skdn_d_k", "Kelangsungan penimbangan (D/K)", "D/K", "person", VisitRecorded, _weighed,
              numerator="balita ditimbang bulan ini (D)", denominator="balita yang dikenal sistem sejak Januari (K)",
              base="ytd:skdn_k_s", ytd="monthly",
              source="SKDN D/K [SKDN-SCRIBD] [S33] (ilp-domain §3.2, §9.4); K = proksi (lihat K/S)"),
    Indicator("skdn_n_d", "Balita naik berat badan (N/D)", "N/D", "person", VisitScreened, _growth(lambda g: g.trend == "N"),
              numerator="balita ditimbang yang berat badannya naik (N) dibanding penimbangan bulan lalu",
              denominator="balita ditimbang bulan ini (D)", base="measured", ytd="monthly",
              source="SKDN N/D [SKDN-SCRIBD] [S33]; N/T Buku KIA 2023 [KIA2023] (ilp-domain §9.4), dinilai screening"),
    Indicator("skdn_t", "Balita tidak naik berat badan (T/D)", "T/D", "person", VisitScreened,
              _growth(lambda g: g.trend == "T"),
              numerator="balita ditimbang yang berat badannya tidak naik (T)", denominator="balita ditimbang bulan ini (D)",
              base="measured", direction="down", ytd="monthly",
              source="Dashboard Klaster 2 (T) [ILP-T 08-pencatatan/02-pelaporan]; N/T Buku KIA 2023 [KIA2023]"),
    Indicator("skdn_2t", "Balita 2 kali tidak naik (2T/D)", "2T/D", "person", VisitScreened,
              _growth(lambda g: g.two_t),
              numerator="balita ditimbang yang tidak naik (T) pada penimbangan ini dan penimbangan bulan sebelumnya",
              denominator="balita ditimbang bulan ini (D)", base="measured", direction="down", ytd="monthly",
              source="2T → rujuk Puskesmas [S31] (ilp-domain §2.2, §9.4) [UNCONFIRMED wording]"),
    Indicator("bgm", "Balita di bawah garis merah (BGM/D)", "BGM/D", "person", VisitScreened,
              _growth(lambda g: g.bgm is True),
              numerator="balita ditimbang dengan BB/U di bawah garis merah (< −3 SD)",
              denominator="balita ditimbang bulan ini (D)", base="measured", direction="down", ytd="monthly",
              source="SKDN BGM/D [SKDN-SCRIBD]; BGM Buku KIA 2023 [KIA2023] [S32] (ilp-domain §9.4)"),
    Indicator("vitamin_a", "Balita 6–59 bulan mendapat vitamin A", "Vitamin A", "person", VisitScreened,
              _reached("services.vitamin_a_6_59"),
              numerator="anak 6–59 bulan yang mendapat kapsul vitamin A (kumulatif per putaran: Januari–Juni untuk "
              "Februari, Juli–Desember untuk Agustus)",
              denominator="sasaran balita (S; termasuk 0–5 bulan)", base="target:under_five", ytd="semester",
              source="vitamin A 6–11 dan 12–59 bulan, Februari dan Agustus [ILP-T 07-vitamin-a]; target tidak "
              "ditemukan (dapat dikonfigurasi)"),
    Indicator("development_screened", "Balita dipantau perkembangan (KPSP)", "KPSP", "person", VisitScreened, _kpsp,
              numerator="balita dengan hasil KPSP (sesuai, meragukan atau penyimpangan)",
              denominator="sasaran balita (S)", base="target:under_five", target=100, ytd="prorata",
              source="KPSP ilp-domain §9.5 [S34][S36]; pemantauan perkembangan dalam SPM balita, Permenkes 4/2019 "
              "[KEB-ILP], target 100 %"),
    Indicator("severe_wasting", "Balita gizi buruk (BB/TB < −3 SD atau edema)", "Gizi buruk", "person", VisitScreened,
              _fact("severe_wasting"), numerator="balita BB/PB atau BB/TB < −3 SD, atau dengan edema",
              denominator="balita diukur BB dan PB/TB (atau dengan edema)", base="measured", direction="down",
              source="PMK 2/2020 gizi buruk < −3 SD [PMK2-FLIP]; edema (WHO prevalence rules); [ILP-T "
              "08-balita-masalah-gizi]"),
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
    Indicator("pregnant_served", "Ibu hamil mendapat kontak ANC standar", "Bumil ANC", "person",
              VisitScreened, _reached("anc.contact"),
              numerator="ibu hamil dengan ≥ 1 kontak ANC standar oleh tenaga kesehatan dalam periode (kunjungan kader "
              "tidak dihitung; kumulatif: sejak Januari, kehamilan lintas tahun terhitung di kedua tahun)",
              denominator="sasaran ibu hamil", base="target:pregnant",
              source="kontak ANC standar [ILP-T 01-anc-terpadu]; ilp-domain §9.3 [S24] (kunjungan = kontak dengan "
              "nakes); volume layanan, bukan cakupan: cakupan = anc_k1 / anc_k4 / anc_k6"),
    Indicator("bp_screened", "Penduduk ≥ 15 th diukur tekanan darah", "Skrining TD", "person", VisitScreened,
              _bp_screened, numerator="penduduk ≥ 15 th diukur TD", denominator="sasaran usia 15–59 th dan lansia",
              base="target:adult_15_59+elderly", target=100, ytd="prorata",
              source="SPM usia produktif/hipertensi, Permenkes 4/2019 [KEB-ILP]"),
    Indicator("ttd_adolescent_girls", "Remaja putri mendapat tablet tambah darah (TTD)", "TTD rematri", "person",
              VisitScreened, _reached("services.ttd_adolescent_girl"),
              numerator="remaja putri 10–17 th (tidak hamil) yang diberi TTD",
              denominator="sasaran remaja putri 10–17 th", base="target:adolescent_girl", ytd="prorata",
              source="ILP dashboard klaster 2 (remaja putri minum TTD) [ILP-T 08-pencatatan/02-pelaporan]; "
              "TTD 60 mg besi + 400 µg asam folat [ILP-T 03-anak-sekolah-remaja/01-skrining-anemia]; "
              "no national target set here [UNCONFIRMED]"),
    Indicator("spm_productive_screened", "Usia produktif (15–59 th) mendapat skrining kesehatan sesuai standar",
              "SPM usia produktif", "person", VisitScreened, _reached("pws.spm_productive_screened"),
              numerator="penduduk 15–59 th yang diukur BB, TB, lingkar perut, tekanan darah dan gula darah",
              denominator="sasaran usia 15–59 th", base="target:adult_15_59", target=100, ytd="prorata",
              source="SPM usia produktif, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; target 100 %"),
    Indicator("spm_elderly_screened", "Lansia (≥ 60 th) mendapat skrining kesehatan sesuai standar", "SPM lansia",
              "person", VisitScreened, _reached("pws.spm_elderly_screened"),
              numerator="penduduk ≥ 60 th yang diukur BB, TB/LiLA, lingkar perut, tekanan darah, gula darah, "
              "kolesterol, ADL, dan diskrining SKILAS (atau AMT/Mini-Cog dan GDS-4)",
              denominator="sasaran lansia ≥ 60 th", base="target:elderly", target=100, ytd="prorata",
              source="SPM lansia, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; SKILAS/ADL [ILP-T 03-lansia/01-skrining-geriatri]; "
              "target 100 %"),
    Indicator("spm_hypertension_care", "Penderita hipertensi (≥ 15 th) mendapat pelayanan sesuai standar",
              "SPM hipertensi", "person", VisitScreened, _reached("pws.spm_hypertension_care"),
              numerator="penduduk ≥ 15 th diukur TD di fasyankes (Pustu, Puskesmas, RS) dengan TD ≥ 140/90 "
              "atau diagnosis hipertensi (I10–I15)",
              denominator="estimasi penderita hipertensi ≥ 15 th", base="target:hypertension_estimated", target=100,
              ytd="prorata", source="SPM penderita hipertensi, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; "
              "[ILP-T 02-skrining-hipertensi]; target 100 %"),
    Indicator("spm_diabetes_care", "Penderita diabetes melitus (≥ 15 th) mendapat pelayanan sesuai standar",
              "SPM DM", "person", VisitScreened, _reached("pws.spm_diabetes_care"),
              numerator="penduduk ≥ 15 th diperiksa gula darah di fasyankes (Pustu, Puskesmas, RS) dengan GDS ≥ 200 / "
              "GDP ≥ 126 atau diagnosis DM (E10–E14)",
              denominator="estimasi penderita DM ≥ 15 th", base="target:diabetes_estimated", target=100,
              ytd="prorata", source="SPM penderita DM, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; [ILP-T 03-skrining-dm]; "
              "target 100 %"),
    Indicator("tb_examined", "Terduga TBC diperiksa (TCM, BTA atau rontgen)", "TBC diperiksa", "person",
              VisitScreened, _fact("tb_examined"),
              numerator="orang terduga TBC dengan pemeriksaan TBC tercatat",
              denominator="orang terduga TBC (dan orang dengan pemeriksaan TBC tercatat)", base="measured",
              target=100, source="SPM orang terduga TBC, Permenkes 4/2019 [PMK4-2019] [KEB-ILP]; "
              "alur TCM [ILP-T 10-skrining-tb]; target 100 %"),
    Indicator("delivery_facility", "Persalinan di fasilitas pelayanan kesehatan", "Persalinan fasyankes", "person",
              VisitScreened, _reached("services.delivery_facility"),
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
    """Raise ValueError if ids repeat, or a ``ytd:`` denominator names no person-level indicator of the registry."""
    registry = list(registry)
    seen: set[str] = set()
    for indicator in registry:
        if indicator.id in seen:
            raise ValueError(f"duplicate indicator id {indicator.id!r}")
        seen.add(indicator.id)
    kinds = {i.id: i.kind for i in registry}
    for indicator in registry:
        if indicator.ytd_of is not None and kinds.get(indicator.ytd_of) != "person":
            raise ValueError(f"{indicator.id}: denominator {indicator.ytd_of!r} is no person-level indicator")


def with_targets(registry: tuple[Indicator, ...], overrides: Mapping[str, float | None]) -> tuple[Indicator, ...]:
    """The registry with targets replaced from configuration (unknown ids are an error)."""
    unknown = sorted(set(overrides) - {i.id for i in registry})
    if unknown:
        raise ValueError(f"target for unknown indicator(s): {', '.join(unknown)}")
    return tuple(dataclasses.replace(i, target=overrides[i.id]) if i.id in overrides else i for i in registry)


# Per registry (by identity, the registry held alive beside its entry) and event type: the indicators
# that judge that type, in registry order. A handful of registries and event types: bounded.
_JUDGING: dict[int, tuple[tuple[Indicator, ...], dict[type, tuple[Indicator, ...]]]] = {}
_JUDGING_MAX = 16


def judging(registry: Iterable[Indicator], event_type: type) -> tuple[Indicator, ...]:
    """The indicators of ``registry`` that judge events of ``event_type`` (remembered per registry tuple)."""
    if not isinstance(registry, tuple):
        return tuple(i for i in registry if issubclass(event_type, i.event))
    entry = _JUDGING.get(id(registry))
    if entry is None or entry[0] is not registry:
        if len(_JUDGING) >= _JUDGING_MAX:
            _JUDGING.clear()
        entry = _JUDGING[id(registry)] = (registry, {})
    found = entry[1].get(event_type)
    if found is None:
        found = entry[1][event_type] = tuple(i for i in registry if issubclass(event_type, i.event))
    return found


def verdicts(registry: Iterable[Indicator], event: EventData) -> list[tuple[Indicator, bool | int]]:
    """Every (indicator, verdict) an event contributes: counts that count (True, or how many),
    person judgements made (:func:`judged`, through the judges compiled per registry and event type)."""
    if not isinstance(registry, tuple):
        return judged(registry, event)
    entry = _COMPILED.get(id(registry))
    if entry is None or entry[0] is not registry:
        if len(_COMPILED) >= _JUDGING_MAX:
            _COMPILED.clear()
        entry = _COMPILED[id(registry)] = (registry, {})
    compiled = entry[1].get(type(event))
    if compiled is None:
        compiled = entry[1][type(event)] = compile_verdicts(judging(registry, type(event)))
    return compiled(event)


def judged(registry: Iterable[Indicator], event: EventData) -> list[tuple[Indicator, bool | int]]:
    """:func:`verdicts` by calling each judge in turn: the definition the compiled judges keep."""
    out: list[tuple[Indicator, bool | int]] = []
    for indicator in judging(registry, type(event)):
        verdict = indicator.judge(event)
        if indicator.kind == "count":
            if verdict:
                out.append((indicator, verdict))
        elif verdict is not None:
            out.append((indicator, bool(verdict)))
    return out


# Per registry (as _JUDGING) and event type: the compiled verdicts function.
_COMPILED: dict[int, tuple[tuple[Indicator, ...], dict[type, Callable[[Any], list]]]] = {}


def compile_verdicts(indicators: tuple[Indicator, ...]) -> Callable[[Any], list[tuple[Indicator, bool | int]]]:
    """One function giving :func:`judged`'s list for the given indicators (those judging one event
    type), in their order: the screening facts' judges (``_fact``, ``_reached``: a ``shape``
    attribute says which fact they read) inlined as the attribute reads they make, in the same order,
    every other judge called. A screened visit has ~34 judges: one call instead of 34."""
    lines = ["def verdicts(e):", "    out = []", "    append = out.append"]
    names: dict[str, Any] = {}
    if any(getattr(i.judge, "shape", None) for i in indicators):
        lines.append("    facts = e.facts")
    for n, indicator in enumerate(indicators):
        names[f"I{n}"] = indicator
        shape = getattr(indicator.judge, "shape", None)
        if shape is None:
            names[f"J{n}"] = indicator.judge
            lines.append(f"    v = J{n}(e)")
        elif shape[0] == "fact":
            _, name = shape
            lines.append(f"    v = None if facts is None else facts.pws.{_name(name)}")
        elif shape[0] == "reached":
            _, block, name = shape
            lines.append(f"    part = facts.{_name(block)} if facts is not None else None")
            lines.append(f"    v = True if part is not None and part.{_name(name)} else None")
        else:
            raise ValueError(f"{indicator.id}: unknown judge shape {shape!r}")
        if indicator.kind == "count":
            lines.append("    if v:")
            lines.append(f"        append((I{n}, v))")
        else:
            lines.append("    if v is not None:")
            lines.append(f"        append((I{n}, bool(v)))")
    lines.append("    return out")
    exec("\n".join(lines), names)  # noqa: S102 - source built above from identifiers only
    return names["verdicts"]


def _name(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"not an attribute name: {name!r}")
    return name
