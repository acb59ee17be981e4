"""Prevalence targets of the simulated district and the latent-trait model that meets them.

Parameters, with their sources (tags of ``/work/shared/ilp-domain.md`` §7; [UNCONFIRMED] =
assumption or unverified secondary figure):

* stunting (HAZ < -2), under-fives: 21.5 %; by age 0-5 mo 13.7, 6-11 13.1, 12-23 22.7, 24-35 25.8,
  36-47 23.6 %; 48-59 mo 22.0 % derived so that the five-year mean is 21.5 — SKI 2023 [SKI-FAQ]
  [SKI-DATABOKS].
* wasting (WHZ < -2): 8.5 % — SKI 2023 [SKI-FIANJAYA].
* underweight (WAZ < -2): 15.9 % — SKI 2023 [SKI-FIANJAYA]; not set directly: it emerges from HAZ and
  WHZ, and with independent HAZ and WHZ comes out at 15.8 % by the real WHO z-scores.
* hypertension (>= 140/90), >= 18 y: 30.8 % — SKI 2023 [SKI-GRID]; 18-24 y 10.7 %, 25-34 y 17.4 %
  (SKI 2023); older bands shaped on Riskesdas 2018 (35-44 31.6, 45-54 45.3, 55-64 55.2, 65-74 63.2,
  75+ 65.5 %) and scaled so that the >= 18 mean is 30.8 %; 15-17 y 5 % [assumption]. Age figures via
  health.tribunnews.com (2021-05-22, Riskesdas 2018) and a Tribun reprint of SKI 2023 [S].
* diabetes (GDS >= 200 / GDP >= 126), >= 15 y: 11.7 % by blood glucose — SKI 2023 [SKI-GRID], databoks
  2024-07-26 [S]; age shape 15-24 2, 25-34 4.5, 35-44 9, 45-54 16, 55-64 22, 65-74 24, 75+ 21 % scaled
  to 11.7 % [shape UNCONFIRMED].
* anaemia in pregnancy (Hb < 11): 48.9 % — Riskesdas 2018 [RISK18-SUARA].
* KEK in pregnancy (MUAC < 23.5): 17.3 % — Riskesdas 2018 [RISK18-SUARA].
* TB presumptive (cough >= 2 weeks): 3 % of people >= 15 y and 1 % of children per screening visit
  [derived, UNCONFIRMED]. With about half of all visits screened for cough this gives ~2.9 k presumptive
  people a month in Lampung Selatan, close to the ~3.4 k a month implied by ~10 presumptive per expected
  case (programme positivity ~10 % among those tested [UNCONFIRMED]) at the WHO estimate of 1,060,000
  cases (385 / 100 k) for Indonesia (Global TB Report 2023, as quoted by Kemenkes).
* anaemia, adolescent girls 12-17 (Hb < 12): 15.6 % — SKI 2023 [IPOL].
* adult obesity (BMI > 27): 23.4 % -> BMI ~ N(23.8, 4.2) — SKI 2023 [IPOL].
* central obesity: ~50 % of women (waist > 80 cm), ~25 % of men (> 90 cm) — CKG 2025 [CKG-INIBPN].
* low birth weight (< 2,500 g): 6.1 % of births — SKI 2023 [SKI-FIANJAYA] (ilp-domain §5); birth weight
  ~ N(3,150 g, sd) with the mean an [assumption] and sd set so that exactly 6.1 % fall below 2,500 g; a
  baby's birth weight is on the record at 90 % of its visits in the first 26 days [assumption].
* standard ANC contacts (:mod:`simulator.anc`): K1 access 95 % of pregnancies [assumption], the first
  contact in trimester 1 for 80 % of them [assumption], each later contact of the 1-2-3 schedule kept
  with 93 % [assumption] -> K4 about 75 %, near the 77 % with >= 4 antenatal visits of SDKI 2017 (quoted
  by Aryanti, fdokumen.com "Kesehatan reproduksi, ibu, bayi baru lahir, anak dan remaja") [S].
* triple elimination (HIV, syphilis, HBsAg) at the K1 contact: all three tested for 80 % of the women
  whose K1 is simulated, HIV and HBsAg only for 10 % [assumptions]; reactive 0.3 %, 0.3 %, 1.9 %
  [assumptions, UNCONFIRMED: no programme figures sourced in ilp-domain].
* vitamin A (February and August rounds, children 6-59 months): 85 % of those seen in the round month
  get the capsule at their first visit of the month [assumption: no national coverage figure in
  ilp-domain; the rounds and the age band are [ILP-T 07-vitamin-a]].
* KPSP developmental screening: done at 50 % of visits of a child in a month of the KPSP schedule (3, 6,
  ..., 24, 30, ..., 54 months — ilp-domain §9.5 [S34]; 60 months left out) [assumption]; results 85 %
  sesuai, 10 % meragukan, 5 % penyimpangan [assumption].

How a binary condition is made measurement-consistent: each person has a latent standard normal
``u``; at each visit a noise ``v ~ N(0, s)`` is added and ``w = (u + v) / sqrt(1 + s^2)`` (again
standard normal) is compared with ``t = Phi^-1(1 - p(age))``. The measured value is then drawn on the
correct side of the clinical threshold (e.g. systolic >= 140 or diastolic >= 90 when ``w >= t``), so the
share of *measurements* that classify as positive is exactly ``p(age)`` in expectation, and a person
keeps a stable but not frozen status across visits.

Children: length/height-for-age z = mu_h(age) + 1.15 e_h and weight-for-length/height z =
-0.56 + 1.05 e_w with e_h, e_w independent AR(1) processes month to month (rho 0.97 and 0.80), so
each child follows its own z-score trajectory; mu_h(age) interpolates the SKI 2023 age bands;
cm and kg come from the approximate WHO curves in :mod:`growth`.

"""

from __future__ import annotations

from simulator.population import MAX_AGE, normal_quantile, share_between, unit_scale

STUNTING_PCT = 21.5
STUNTING_BY_AGE_MONTHS = ((3.0, 13.7), (9.0, 13.1), (18.0, 22.7), (30.0, 25.8), (42.0, 23.6), (54.0, 22.0))
WASTING_PCT = 8.5
UNDERWEIGHT_PCT = 15.9
HYPERTENSION_PCT = 30.8  # >= 18 y
HYPERTENSION_FIXED = ((15, 17, 5.0), (18, 24, 10.7), (25, 34, 17.4))
HYPERTENSION_SHAPE = ((35, 44, 31.6), (45, 54, 45.3), (55, 64, 55.2), (65, 74, 63.2), (75, MAX_AGE, 65.5))
DIABETES_PCT = 11.7  # >= 15 y
DIABETES_SHAPE = ((15, 24, 2.0), (25, 34, 4.5), (35, 44, 9.0), (45, 54, 16.0), (55, 64, 22.0), (65, 74, 24.0),
                  (75, MAX_AGE, 21.0))
ANAEMIA_PREGNANCY_PCT = 48.9
KEK_PREGNANCY_PCT = 17.3
ANAEMIA_ADOLESCENT_GIRLS_PCT = 15.6
TB_PRESUMPTIVE_ADULT, TB_PRESUMPTIVE_CHILD = 0.03, 0.01
BMI_MEAN, BMI_SD = 23.8, 4.2
ADULT_HEIGHT = {"M": (164.0, 6.5), "F": (153.0, 6.0)}  # NCD-RisC 2016, approximate [UNCONFIRMED]

# Child z-score model (calibrated so that the real WHO z-scores give the three SKI figures).
SIGMA_H, RHO_H = 1.15, 0.97
SIGMA_W, RHO_W = 1.05, 0.80
R_HW = 0.0  # HAZ-WHZ correlation; 0 gives underweight 15.8 % against the real WHO z-scores (target 15.9 %)
MU_W = -2.0 - SIGMA_W * normal_quantile(WASTING_PCT / 100)

# Visit noise of the latent traits (in SD units of the latent).
NOISE_BP, NOISE_DM, NOISE_HB, NOISE_MUAC = 0.35, 0.40, 0.25, 0.10


def _scaled_bands(fixed, shape, target_pct: float, lo_age: int) -> list[float]:
    """Prevalence (fraction) per single year of age: ``fixed`` bands as given, ``shape`` bands scaled so that
    the pyramid-weighted mean over ages >= ``lo_age`` equals ``target_pct``."""
    weight = {a: share_between(a, a) for a in range(MAX_AGE + 1)}
    fixed_sum = sum(p * weight[a] for lo, hi, p in fixed for a in range(max(lo, lo_age), hi + 1))
    shape_sum = sum(p * weight[a] for lo, hi, p in shape for a in range(max(lo, lo_age), hi + 1))
    total = sum(weight[a] for a in range(lo_age, MAX_AGE + 1))
    k = (target_pct * total - fixed_sum) / shape_sum
    out = [0.0] * (MAX_AGE + 1)
    for lo, hi, p in fixed:
        for a in range(lo, hi + 1):
            out[a] = p / 100
    for lo, hi, p in shape:
        for a in range(lo, hi + 1):
            out[a] = min(0.95, p * k / 100)
    return out


HT_BY_AGE = _scaled_bands(HYPERTENSION_FIXED, HYPERTENSION_SHAPE, HYPERTENSION_PCT, 18)
DM_BY_AGE = _scaled_bands((), DIABETES_SHAPE, DIABETES_PCT, 15)


def _threshold(p: float) -> float:
    return normal_quantile(1.0 - p) if 0.0 < p < 1.0 else (99.0 if p <= 0 else -99.0)


HT_T = [_threshold(p) for p in HT_BY_AGE]
DM_T = [_threshold(p) for p in DM_BY_AGE]
ANAEMIA_T = _threshold(ANAEMIA_PREGNANCY_PCT / 100)
KEK_T = _threshold(KEK_PREGNANCY_PCT / 100)
ADOLESCENT_ANAEMIA_T = _threshold(ANAEMIA_ADOLESCENT_GIRLS_PCT / 100)
SCALE_BP, SCALE_DM, SCALE_HB, SCALE_MUAC = (unit_scale(s) for s in (NOISE_BP, NOISE_DM, NOISE_HB, NOISE_MUAC))


def _mu_h_table() -> list[float]:
    """mu_h per completed month 0..60, interpolated between the SKI band midpoints."""
    pts = [(m, -2.0 - SIGMA_H * normal_quantile(p / 100)) for m, p in STUNTING_BY_AGE_MONTHS]
    out = []
    for month in range(61):
        x = month + 0.5
        if x <= pts[0][0]:
            out.append(pts[0][1])
        elif x >= pts[-1][0]:
            out.append(pts[-1][1])
        else:
            i = next(i for i in range(len(pts) - 1) if pts[i][0] <= x <= pts[i + 1][0])
            (x0, y0), (x1, y1) = pts[i], pts[i + 1]
            out.append(y0 + (x - x0) / (x1 - x0) * (y1 - y0))
    return out


MU_H = _mu_h_table()

LBW_PCT = 6.1  # SKI 2023 [SKI-FIANJAYA]
BIRTH_WEIGHT_MEAN_G = 3150.0  # [assumption]
BIRTH_WEIGHT_SD_G = (BIRTH_WEIGHT_MEAN_G - 2500.0) / -normal_quantile(LBW_PCT / 100)  # 6.1 % below 2,500 g
BIRTH_WEIGHT_RECORDED = 0.9  # share of newborn visits with the birth weight on the record [assumption]
NEWBORN_RECORD_DAYS = 26  # newborn block sent up to this age (the contract's limit is 28 days; a 2-day margin)
VITAMIN_A_MONTHS = (2, 8)  # February and August rounds [ILP-T 07-vitamin-a]
VITAMIN_A_COVERAGE = 0.85  # [assumption]
KPSP_SCHEDULE_MONTHS = frozenset((3, 6, 9, 12, 15, 18, 21, 24, 30, 36, 42, 48, 54))  # ilp-domain §9.5 [S34]
KPSP_AT_SCHEDULE = 0.5  # [assumption]
KPSP_RESULTS = (("appropriate", 0.85), ("doubtful", 0.10), ("deviant", 0.05))  # [assumption]
ANC_K1_ACCESS = 0.95  # [assumption]
ANC_K1_TRIMESTER_1 = 0.80  # share of first contacts at <= 13 weeks [assumption]
ANC_LATER_CONTACT = 0.93  # each later scheduled contact happens [assumption]
TRIPLE_ALL_AT_K1 = 0.80  # [assumption]
TRIPLE_TWO_AT_K1 = 0.10  # HIV and HBsAg only [assumption]
TRIPLE_REACTIVE = {"hiv": 0.003, "syphilis": 0.003, "hbsag": 0.019}  # [assumption, UNCONFIRMED]

# Programme inputs of the extension indicators (docs/simulator.md). [KEB-ILP]: SPM national achievement 2022
# (ilp-domain §3.2, Sekber SPM, Ditjen Bina Bangda Kemendagri), used as the share of the matching service
# encounters that deliver the standard service [assumption: an annual coverage used as a per-encounter share].
KN_VISIT = 0.7803 ** (1 / 3)  # each of KN1-KN3 kept, so that KN lengkap = SPM bayi baru lahir 78.03 % [KEB-ILP]
KF_VISIT = KN_VISIT  # KF visits go with the neonatal visits (ilp-domain §2.1 [ILP-T 05-pelayanan-nifas]) [assumption]
DELIVERY_AT_FACILITY = 0.7629  # SPM ibu bersalin 76.29 % [KEB-ILP]
DELIVERY_FACILITY_PLACES = (("hospital", 0.35), ("puskesmas", 0.30), ("midwife_practice", 0.22), ("clinic", 0.08),
                            ("pustu", 0.05))  # [assumption]
DELIVERY_OTHER_PLACES = (("home", 0.92), ("other", 0.08))  # [assumption]
TB_EXAMINED = 0.6856  # terduga TBC examined at a Pustu/Puskesmas visit: SPM orang terduga TBC 68.56 % [KEB-ILP]
TB_TEST_METHODS = (("tcm", 0.85), ("microscopy", 0.10), ("xray", 0.05))  # TCM first [ILP-T 10-skrining-tb]; shares [assumption]
TB_TEST_POSITIVE = 0.10  # programme positivity ~10 % among those tested [UNCONFIRMED] (see TB presumptive above)
SPM_PRODUCTIVE = 0.6138  # a 15-59 y visit with a lab is the full SPM screen: SPM usia produktif 61.38 % [KEB-ILP]
SPM_ELDERLY = 0.684  # an elderly visit with a lab is the full SPM lansia screen: 68.4 % [KEB-ILP]
SPM_HYPERTENSION_CODED = 0.5969  # a hypertensive seen at a Pustu/Puskesmas is coded I10: SPM hipertensi 59.69 % [KEB-ILP]
SPM_DIABETES_CODED = 0.7356  # a diabetic seen with a glucose test is coded E11: SPM DM 73.56 % [KEB-ILP]
CHOLESTEROL_MEAN, CHOLESTEROL_SD = 200.0, 40.0  # mg/dL, elderly [assumption]
TTD_RECORDED = 0.5  # an adolescent girl's visit records TTD [assumption: no coverage figure in ilp-domain]
TTD_NOT_GIVEN = 0.1  # of those, 0 tablets (stock-out, refusal) [assumption]
TTD_TABLETS = 4  # one tablet a week for a month [ILP-T 03-anak-sekolah-remaja/01-skrining-anemia]
# Routine immunisation (simulator.immunization; schedule ilp-domain §9.2 [S16], [ILP-T 06-imunisasi-rutin]).
# ilp-domain gives no published immunisation coverage or drop-out rate: the rates are [assumption]s, set so that
# IDL (KN1 kept x HB0 recorded x the sessions of 1-9 months kept) comes out at about 71 %, near the SPM
# balita achievement of 71.98 % in 2022 [KEB-ILP] [assumption: used as a proxy for IDL coverage].
HB0_RECORDED = 0.95  # HB0 on the KN1 visit's record [assumption]
IMMUNIZATION_SESSION_KEPT = 0.96  # each session kept, else drop-out (DPT1-DPT3 drop-out ~8 %) [assumption]
IMMUNIZATION_AT_PUSKESMAS = 0.3  # children immunised at the Puskesmas rather than the Posyandu [assumption]
