"""Registration's pure domain: NIK checks, pseudonymous ids, facility scope, the recorded visit.

No I/O here: the handlers load what these functions need and store what they return.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.contracts.events import FacilityRegistered, VisitRecorded
from shared.contracts.intake import NIK_RE, IntakeVisit
from shared.lifecycle import age_days, stage_for
from shared.regions import RegionIndex


@dataclass(frozen=True)
class FieldError:
    """One field-level problem, in the contract's ``{"loc", "msg"}`` shape."""

    loc: tuple[str | int, ...]
    msg: str

    def as_dict(self) -> dict:
        return {"loc": list(self.loc), "msg": self.msg}


@dataclass(frozen=True)
class NikInfo:
    """What a NIK encodes: registration area, birth date, sex."""

    province: str
    kabupaten: str
    kecamatan: str
    birth_date: date
    sex: str


def decode_nik(nik: str, *, today: date) -> NikInfo:
    """Decode ``PP KK CC DDMMYY SSSS`` (day + 40 for women); raise ValueError when impossible.

    Source: ilp-domain.md §4.2 [NIK-AXRO] [NIK-MALDIQ] [NIK-PERL]. The two-digit year is read as the
    latest century that does not put the birth date in the future.
    """
    if not NIK_RE.match(nik):
        raise ValueError("NIK must be exactly 16 digits (ASCII 0-9)")
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "M"
    if day > 40:
        day -= 40
        sex = "F"
    if int(nik[12:16]) == 0:
        raise ValueError("NIK serial 0000 is not issued")
    century = 2000 if 2000 + year <= today.year else 1900
    try:
        born = date(century + year, month, day)
    except ValueError as exc:
        raise ValueError(f"NIK encodes an impossible birth date ({exc})") from None
    if born > today:
        born = date(century - 100 + year, month, day)
    return NikInfo(nik[0:2], f"{nik[0:2]}.{nik[2:4]}", f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}", born, sex)


def check_nik(
    nik: str, loc: tuple[str | int, ...], regions: RegionIndex, *, birth_date: date | None, sex: str | None,
    today: date,
) -> tuple[list[FieldError], list[str]]:
    """Structural errors (reject) and data-quality warnings (accept and count) of one NIK."""
    try:
        info = decode_nik(nik, today=today)
    except ValueError as exc:
        return [FieldError(loc, str(exc))], []
    if info.province not in regions:
        return [FieldError(loc, f"NIK province code {info.province} does not exist")], []
    if info.kabupaten not in regions:
        return [FieldError(loc, f"NIK kabupaten/kota code {info.kabupaten} does not exist")], []
    warnings = []
    if birth_date is not None and info.birth_date != birth_date:
        warnings.append("nik_birth_date_mismatch")
    if sex is not None and info.sex != sex:
        warnings.append("nik_sex_mismatch")
    return [], warnings


def person_id_for_nik(nik: str, secret: bytes) -> str:
    """The pseudonymous id of a person with a NIK: HMAC-SHA256 under the deployment secret."""
    return "p" + hmac.new(secret, b"nik:" + nik.encode(), hashlib.sha256).hexdigest()[:32]


def provisional_child_id(mother_nik: str, birth_date: date, sex: str, secret: bytes) -> str:
    """The id of a child without NIK, from the mother's NIK, birth date and sex."""
    message = f"child:{mother_nik}:{birth_date.isoformat()}:{sex}".encode()
    return "c" + hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def in_scope(token_facility: str, chain: Sequence[str]) -> bool:
    """A token's facility may submit for itself and every facility below it in the network;
    ``chain`` is the facility and those above it (``FacilityRegistry.chain``)."""
    return token_facility in chain


def check_time(visit: IntakeVisit, now: datetime, tolerance: timedelta) -> list[FieldError]:
    """``occurred_at`` more than ``tolerance`` in the future is rejected."""
    if visit.occurred_at > now + tolerance:
        return [FieldError(("occurred_at",), f"occurred_at is more than {int(tolerance.total_seconds())} s in the future")]
    return []


def recorded_visit(
    visit: IntakeVisit, *, person_id: str, facility: FacilityRegistered | None, recorded_at: datetime,
    data_quality: list[str],
) -> VisitRecorded:
    """The pseudonymised event for an accepted visit: no NIK, no name, age instead of birth date."""
    on = visit.occurred_at.date()
    return VisitRecorded(
        visit_id=visit.visit_id,
        person_id=person_id,
        facility_id=visit.facility_id,
        facility_type=facility.type if facility else None,
        service_point=visit.service_point,
        village_code=visit.person.village_code,
        occurred_at=visit.occurred_at,
        recorded_at=recorded_at,
        sex=visit.person.sex,
        age_days=age_days(visit.person.birth_date, on),
        stage=stage_for(visit.person.birth_date, on, visit.pregnancy is not None),
        pregnancy=visit.pregnancy,
        measurements=visit.measurements,
        newborn=visit.newborn,
        immunizations=visit.immunizations,
        development=visit.development,
        diagnoses=visit.diagnoses,
        syndromes=visit.syndromes,
        data_quality=data_quality,
    )
