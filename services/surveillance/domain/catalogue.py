"""The SKDR catalogue: each disease or syndrome, what counts as a case, and its rules per level.

Sources (tags as in ``SOURCES``; confidence as in ilp-domain.md: C seen in a Kemenkes or
government text or a faithful copy, S secondary only, UNCONFIRMED not seen). The national Pedoman
SKDR (edition 2021, printing 2023) was found only as a copy whose threshold table was not in the
retrieved text, so no national threshold here is confirmed; every one is configuration
(``JEJARING_SURVEILLANCE_RULES``). What is confirmed: the SKDR letter codes A-H and one
Puskesmas-level table of *nilai ambang* [S13], the KLB criteria of Permenkes 1501/2010 art. 6 (the
doubling method) [PMK1501], one case of diphtheria being a KLB [DIFTERI], every suspected measles
case being investigated [CAMPAK], new cases only (a repeat visit for the same illness is not a new
case) [SOP-SKDR].

Single-case diseases raise a village signal only: the same case would otherwise raise its
Puskesmas area's signal too. Rising-count diseases are watched per village and per Puskesmas area;
the Puskesmas floor (``min_cases``) is the local *nilai ambang* where one is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from services.surveillance.domain.rules import LEVELS, Rule

SOURCES: dict[str, str] = {
    "SKDR2021": "Pedoman SKDR Penyakit Potensial KLB/Wabah, Edisi Revisi 2021 (Kemenkes, Dit. Surveilans dan "
                "Karantina Kesehatan), copy https://pdfs.asia/pedoman-skdr-2021.html; printing 2023 "
                "https://123dok.com/id/docs/buku-pedoman-skdr-pp-klb-2023.11883269",
    "S13": "Jenis penyakit yang dilaporkan dan nilai ambangnya (a Puskesmas SKDR table) "
           "https://id.scribd.com/document/579272272/Jenis-Penyakit-Yang-Di-Laporkan-Dan-Nilai-Ambangnya",
    "PMK1501": "Permenkes 1501/MENKES/PER/X/2010, art. 4 (diseases that can cause a wabah) and art. 6 (KLB "
               "criteria), copy https://pdfcoffee.com/klb-wabah-pandemik-endemik-epidemik-pdf-free.html",
    "DIFTERI": "Pedoman Pencegahan dan Pengendalian Difteri (Kemenkes 2017); Dirjen P2P: a KLB is declared when "
               "one diphtheria case is found, https://www.persi.or.id/difteri-bangkit-dipicu-kelompok-masyarakat-"
               "yang-tak-diimunisasi/",
    "CAMPAK": "Pedoman Surveilans Campak-Rubela (Kemenkes 2020); every suspected case is traced, a suspected "
              "measles KLB is 5 or more linked cases in 4 weeks, http://www.indonesian-publichealth.com/"
              "download-form-pelacakan-klb-campak/",
    "AFP": "KMK 483/MENKES/SK/IV/2007, Pedoman Surveilans AFP (every AFP case is reported and investigated)",
    "SOP-SKDR": "Standar prosedur SKDR online, Dinkes Kab. Jayapura: new cases only; a repeat visit for the same "
                "illness is not reported again, https://pdfs.asia/sop-skdr-online.html",
    "ICD-P2P": "Daftar penyakit menular ICD-X P2P https://id.scribd.com/document/377101007/ICD-X-P2P "
               "(a general list, not an official SKDR crosswalk)",
}


@dataclass(frozen=True)
class Disease:
    """One SKDR disease or syndrome."""

    code: str  # the intake ``syndromes`` code (shared.contracts.intake.Syndrome)
    name: str  # Indonesian name as SKDR writes it
    skdr_code: str | None
    icd10: tuple[str, ...]  # code prefixes; "A09" matches A09 and A09.0
    rules: Mapping[str, Rule | None] = field(default_factory=dict)  # per level; None: not watched there
    icd10_source: str = "ICD-P2P"

    @property
    def single_case(self) -> bool:
        rule = self.rules.get("village")
        return rule is not None and rule.method == "single"

    def rule(self, level: str) -> Rule | None:
        return self.rules.get(level)


def _single(source: str, confidence: str = "S") -> dict[str, Rule | None]:
    return {"village": Rule("single", source=source, confidence=confidence), "puskesmas": None}


def _rising(village_min: int, puskesmas_min: int, *, puskesmas_source: str = "PMK1501 art. 6(c)",
            confidence: str = "UNCONFIRMED") -> dict[str, Rule | None]:
    """Doubling against the mean of the previous 4 weeks, never below a floor of cases."""
    return {
        "village": Rule("doubling", weeks=4, factor=2, min_cases=village_min, source="PMK1501 art. 6(c)",
                        confidence="UNCONFIRMED"),
        "puskesmas": Rule("doubling", weeks=4, factor=2, min_cases=puskesmas_min, source=puskesmas_source,
                          confidence=confidence),
    }


_LOCAL = "PMK1501 art. 6(c); floor: S13 nilai ambang"
DISEASES: dict[str, Disease] = {d.code: d for d in (
    Disease("acute_diarrhoea", "Diare akut", "A", ("A09",), _rising(5, 15, puskesmas_source=_LOCAL, confidence="S")),
    Disease("malaria_confirmed", "Malaria konfirmasi", "B", ("B50", "B51", "B52", "B53"), _single("S13 (nilai ambang 1)")),
    Disease("malaria_clinical", "Malaria klinis", None, ("B54",), _rising(3, 5)),
    Disease("suspected_dengue", "Tersangka dengue", "C", ("A90", "A91", "A97"),
            _rising(3, 5, puskesmas_source=_LOCAL, confidence="S")),
    Disease("pneumonia", "Pneumonia", "D", ("J12", "J13", "J14", "J15", "J16", "J17", "J18"),
            _rising(3, 5, puskesmas_source=_LOCAL, confidence="S")),
    Disease("bloody_diarrhoea", "Diare berdarah / disentri", "E", ("A03", "A06.0"),
            _rising(3, 5, puskesmas_source=_LOCAL, confidence="S")),
    Disease("suspected_typhoid", "Tersangka demam tifoid", "F", ("A01",),
            _rising(3, 3, puskesmas_source=_LOCAL, confidence="S")),
    Disease("acute_jaundice", "Sindrom jaundice akut", "G", ("R17", "B15", "B17"),
            _rising(2, 3, puskesmas_source=_LOCAL, confidence="S"), icd10_source="UNCONFIRMED"),
    Disease("suspected_chikungunya", "Tersangka chikungunya", "H", ("A92.0",), _single("S13 (nilai ambang 1)")),
    Disease("afp", "Lumpuh layuh akut (AFP)", None, ("A80", "G61.0"), _single("AFP"), icd10_source="UNCONFIRMED"),
    Disease("rabies_bite", "Gigitan hewan penular rabies (GHPR)", None, ("W54", "A82", "Z20.3"),
            _single("PMK1501 art. 4 (rabies)", "UNCONFIRMED"), icd10_source="UNCONFIRMED"),
    Disease("suspected_measles", "Suspek campak", None, ("B05",), _single("CAMPAK")),
    Disease("suspected_diphtheria", "Suspek difteri", None, ("A36",), _single("DIFTERI")),
    Disease("suspected_pertussis", "Suspek pertusis", None, ("A37",), _rising(2, 3)),
    Disease("suspected_hfmd", "Suspek HFMD", None, ("B08.4",), _rising(3, 5)),
    Disease("suspected_leptospirosis", "Suspek leptospirosis", None, ("A27",),
            _single("PMK1501 art. 4 (leptospirosis)", "UNCONFIRMED")),
    Disease("suspected_anthrax", "Suspek antraks", None, ("A22",), _single("PMK1501 art. 4 (antraks)", "UNCONFIRMED")),
    Disease("suspected_cholera", "Suspek kolera", None, ("A00",), _single("PMK1501 art. 4 (kolera)", "UNCONFIRMED")),
    Disease("ili", "Influenza like illness (ILI)", None, ("J10", "J11"), _rising(5, 10)),
    Disease("suspected_avian_influenza", "Suspek flu burung", None, ("J09",),
            _single("PMK1501 art. 4 (avian influenza H5N1)", "UNCONFIRMED")),
    Disease("suspected_meningitis_encephalitis", "Suspek meningitis/ensefalitis", None,
            ("A39", "A83", "A84", "A85", "A86", "A87", "G00", "G03", "G04"),
            _single("PMK1501 art. 4 (meningitis)", "UNCONFIRMED"), icd10_source="UNCONFIRMED"),
    Disease("unusual_cluster", "Kluster penyakit yang tidak lazim", None, (),
            _single("SKDR2021 (a reported cluster is itself the alert)", "UNCONFIRMED")),
)}


def _normal(code: str) -> str:
    return code.replace(".", "").upper()


_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    (_normal(prefix), d.code) for d in DISEASES.values() for prefix in d.icd10)


def diseases_of(syndromes: Iterable[str] | None, diagnoses: Iterable[str] | None,
                catalogue: Mapping[str, Disease] = DISEASES) -> set[str]:
    """The catalogue diseases one visit is a case of: its syndrome codes and ICD-10 prefixes."""
    found = {s for s in (syndromes or ()) if s in catalogue}
    for diagnosis in diagnoses or ():
        code = _normal(diagnosis)
        found |= {disease for prefix, disease in _PREFIXES if code.startswith(prefix) and disease in catalogue}
    return found


def configured(overrides: Mapping[str, Mapping[str, Mapping[str, object] | None]] | None = None
               ) -> dict[str, Disease]:
    """The catalogue with configured rule changes: ``{disease: {level: {field: value} | null}}``.

    A mapping changes fields of the default rule (or defines a rule where there was none, then
    ``method`` is required); ``null`` stops watching that disease at that level.
    """
    result = dict(DISEASES)
    for code, levels in (overrides or {}).items():
        if code not in result:
            raise ValueError(f"unknown disease {code!r}")
        rules = dict(result[code].rules)
        for level, changes in (levels or {}).items():
            if level not in LEVELS:
                raise ValueError(f"{code}: unknown level {level!r}; one of {', '.join(LEVELS)}")
            if changes is None:
                rules[level] = None
                continue
            base = rules.get(level)
            if base is None:
                if "method" not in changes:
                    raise ValueError(f"{code}.{level}: a new rule needs a method")
                base = Rule(str(changes["method"]))
            origin = f"configuration (default: {base.source})" if base.source else "configuration"
            rules[level] = base.with_changes({"source": origin, **changes})
        result[code] = replace(result[code], rules=rules)
    return result
