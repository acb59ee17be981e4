"""Antenatal care of one pregnancy (pure): grouping visits into pregnancies, contacts, K-numbers, milestones.

Contract (Extensions): only a visit with ``pregnancy.anc`` is a standard ANC contact; the facility's
``pregnancy.anc_visit_number`` is its word for the K-number. Visits whose estimated conceptions (visit date
minus gestational weeks) lie within ``same_pregnancy_days`` belong to one pregnancy; its id is a UUIDv5 of the
person and the first-seen conception, kept by later visits. Same-day repeats count once (the first by time).
Milestones (K1, K1 murni, K4, K6) are reached once per pregnancy, at the contact whose processing completes them
(all known contacts count, so a late-synced earlier contact can complete K4; it is still counted once).

Two trimester conventions: the juknis schedule [ILP-T 01-anc-terpadu] (T1 0-12 weeks, T2 > 12-24, T3 > 24) for
the clinical rules; the contract's (1 <= 13 weeks, 2 = 14-27, 3 = 28+) for the PWS milestones.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from hashlib import sha1
from typing import Any, NamedTuple
from uuid import UUID

from .config import ScreeningConfig
from .model import PregnancyRecord, ScreeningVisit

# Fixed namespace of pregnancy ids: uuid5(NAMESPACE_URL, "jejaring:screening:pregnancy"), written out.
PREGNANCY_NAMESPACE = UUID("351b8f15-503e-566d-be32-ed029203f1f8")
_NAMESPACE_BYTES = PREGNANCY_NAMESPACE.bytes


class Contact(NamedTuple):
    """This visit as a standard ANC contact; earlier contacts are their ``PregnancyRecord`` (same attributes)."""

    occurred_on: date
    gestational_weeks: int
    anc_by: str
    ultrasound: bool
    anc_visit_number: int | None  # the facility's K-number, when given


@dataclass(slots=True)
class AncState:
    """A pregnancy as known at one visit."""

    pregnancy_id: str
    conception_on: date
    contacts: tuple  # every known contact (Contact or PregnancyRecord, one a day), this visit's included, by date
    contact: bool  # this visit is a standard contact and not a same-day repeat
    same_day_repeat: bool
    number: int | None  # K-number of this contact
    milestones: tuple[str, ...]  # reached at this visit: k1, k1_murni, k4, k6
    tally: tuple[int, int, int, int]  # contacts in contract trimesters 1, 2, 3 and by a doctor


_new = tuple.__new__
_fromordinal = date.fromordinal


def contract_trimester(weeks: int) -> int:
    """Contract trimesters: 1 up to 13 weeks, 2 = 14-27, 3 = 28 and later."""
    return 1 if weeks <= 13 else 2 if weeks <= 27 else 3


def juknis_trimester(weeks: int) -> int:
    """[ILP-T 01-anc-terpadu] 1 = 0-12 weeks, 2 = > 12-24, 3 = > 24."""
    return 1 if weeks <= 12 else 2 if weeks <= 24 else 3


def pregnancy_id(person_id: str, conception_on: date) -> str:
    """The stable pseudonymous id of a pregnancy: ``str(uuid5(PREGNANCY_NAMESPACE, "person/conception"))``.

    Computed as RFC 4122 section 4.3 directly (SHA-1, version and variant bits): ``uuid.uuid5`` builds a
    ``UUID`` object, several times slower; the tests check both agree.
    """
    digest = bytearray(sha1(_NAMESPACE_BYTES + f"{person_id}/{conception_on.isoformat()}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def conception_of(on: date, weeks: int) -> date:
    return _fromordinal(on.toordinal() - 7 * weeks)


def counts(contacts: tuple[Contact, ...]) -> tuple[int, int, int, int]:
    """Contacts in contract trimesters 1, 2, 3, and contacts by a doctor."""
    t1 = t2 = t3 = doctors = 0
    for k in contacts:
        weeks = k.gestational_weeks
        if weeks <= 13:
            t1 += 1
        elif weeks <= 27:
            t2 += 1
        else:
            t3 += 1
        if k.anc_by == "doctor":
            doctors += 1
    return t1, t2, t3, doctors


def k4_met(contacts: tuple[Contact, ...], tally: tuple[int, int, int, int] | None = None) -> bool:
    """>= 4 contacts with >= 1 in trimester 1, >= 1 in 2 and >= 2 in 3 (contract trimesters)."""
    t1, t2, t3, _ = tally or counts(contacts)
    return len(contacts) >= 4 and t1 >= 1 and t2 >= 1 and t3 >= 2


def k6_met(contacts: tuple[Contact, ...], tally: tuple[int, int, int, int] | None = None) -> bool:
    """>= 6 contacts with >= 1, 2 and 3 in trimesters 1, 2 and 3 and >= 2 by a doctor (contract trimesters)."""
    t1, t2, t3, doctors = tally or counts(contacts)
    return len(contacts) >= 6 and t1 >= 1 and t2 >= 2 and t3 >= 3 and doctors >= 2


def state(visit: ScreeningVisit, records: tuple[PregnancyRecord, ...], cfg: ScreeningConfig) -> AncState:
    """The pregnancy of a pregnancy visit, given the person's other pregnancy visits (any order)."""
    preg = visit.pregnancy
    assert preg is not None
    on, weeks = visit.occurred_on, preg.gestational_weeks
    conception = _fromordinal(on.toordinal() - 7 * weeks)
    own = str(visit.visit_id) if records else ""  # only compared with records
    window = cfg.same_pregnancy_days
    pid = None
    first = None
    first_of_day: dict[date, tuple[tuple[float, str], Any]] = {}
    before: set[str] = set()
    for r in records:
        if r.visit_id == own or abs((r.conception_on - conception).days) > window:
            continue
        k = (r.order, r.visit_id)
        if r.pregnancy_id and (first is None or k < first):
            first, pid = k, r.pregnancy_id
        if r.milestones:
            before.update(r.milestones.split(","))
        if r.anc_by is not None:
            seen = first_of_day.get(r.occurred_on)
            if seen is None or k < seen[0]:
                first_of_day[r.occurred_on] = (k, r)
    if pid is None:
        pid = pregnancy_id(visit.person_id, conception)
    anc = preg.anc
    repeat = anc is not None and on in first_of_day and first_of_day[on][0] < (visit.order, own)
    contact = anc is not None and not repeat
    if contact:
        first_of_day[on] = ((visit.order, own), _new(Contact, (on, weeks, anc.by, anc.ultrasound,  # type: ignore
                                                                 preg.anc_visit_number)))
    days = sorted(first_of_day)
    contacts = tuple([seen[1] for seen in map(first_of_day.__getitem__, days)])
    tally = counts(contacts)
    number = None
    milestones: list[str] = []
    if contact:
        number = preg.anc_visit_number or days.index(on) + 1
        if number == 1 and "k1" not in before:
            milestones.append("k1")
            if weeks <= 13:
                milestones.append("k1_murni")
        n = len(contacts)
        if "k4" not in before and (preg.anc_visit_number == 4 or n >= 4 and k4_met(contacts, tally)):
            milestones.append("k4")
        if "k6" not in before and (preg.anc_visit_number == 6 or n >= 6 and k6_met(contacts, tally)):
            milestones.append("k6")
    return AncState(pid, conception, contacts, contact, repeat, number, tuple(milestones), tally)


def _up_to(contacts: tuple, on: date) -> tuple:
    """The contacts on or before ``on`` (all of them, usually)."""
    if not contacts or contacts[-1].occurred_on <= on:  # by date: the last is the latest
        return contacts
    return tuple(k for k in contacts if k.occurred_on <= on)


def schedule_gaps(contacts: tuple[Contact, ...], on: date, weeks: int, cfg: ScreeningConfig) -> dict | None:
    """Where the contacts up to ``on`` fall behind the 1-2-3 schedule at ``weeks``, or None.

    ``contacts`` by date, as ``AncState.contacts``. Deadlines pass after their week (a contact in week 12 is still on time for "1 by week 12", which is also
    the trimester-1 contact). The facility's K-number counts for the cumulative deadlines (K-number N at a contact
    after a deadline counts as N - 1 contacts by then); the trimester-2 distribution (2 contacts in > 12-24
    weeks) is checked only when every contact is known (no K-number above the count).
    """
    known = _up_to(contacts, on)
    week_of = sorted(k.gestational_weeks for k in known)
    numbers = [(k.gestational_weeks, k.anc_visit_number) for k in known if k.anc_visit_number]
    numbered = max((n for _, n in numbers), default=0)
    missed: list[dict] = []
    for week, due in cfg.anc_deadlines:
        if weeks <= week:
            break
        have = bisect_right(week_of, week)
        for gw, n in numbers:  # the facility's K-number N at a later contact vouches for N - 1 before it
            have = max(have, n if gw <= week else n - 1)
        if have < due:
            missed.append({"by_week": week, "due": due, "contacts": have})
    if numbered <= len(known) and weeks > 24:
        in_t2 = bisect_right(week_of, 24) - bisect_right(week_of, 12)
        if in_t2 < 2:
            missed.append({"trimester": 2, "due": 2, "contacts": in_t2})
    if not missed:
        return None
    return {"gestational_weeks": weeks, "contacts_total": max(len(known), numbered), "missed": missed}


def doctor_gaps(contacts: tuple[Contact, ...], on: date, weeks: int, cfg: ScreeningConfig) -> list[str]:
    """Doctor contacts the juknis expects (K1 in trimester 1, K5 in trimester 3, with ultrasound) not yet seen.

    ``contacts`` by date, as ``AncState.contacts``.
    """
    doctors = [k for k in _up_to(contacts, on) if k.anc_by == "doctor"]
    gaps = []
    if weeks > 12 and not doctors:
        gaps.append("doctor contact with ultrasound (K1)")
    if weeks > cfg.anc_doctor_t3_by_week and not any(k.gestational_weeks > 24 for k in doctors):
        gaps.append("doctor contact with ultrasound in trimester 3 (K5)")
    return gaps
