"""The person of a visit from its Patient: NIK or NIK-ibu, gender, birthDate, administrativeCode village."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.fhir import codes
from shared.fhir.draft import Draft
from shared.fhir.outcome import entry_path, error


def person(index: int, p: Any, v: Draft) -> None:
    base, found = entry_path(index), False
    for i, ident in enumerate(p.identifier or []):
        key = {codes.NIK: "nik", codes.NIK_IBU: "mother_nik"}.get(ident.system or "")
        if key:
            v.set(("person", key), ident.value, f"{base}.identifier[{i}].value")
            found = True
    if not found:
        wrong = next((i for i, ident in enumerate(p.identifier or [])
                      if (ident.value or "").isdigit() and len(ident.value or "") == 16), None)
        if wrong is not None:
            v.issues.append(error("value", f"a NIK needs system {codes.NIK} (a child's mother: {codes.NIK_IBU})",
                                  f"{base}.identifier[{wrong}].system"))
        else:
            v.issues.append(error("required", f"the Patient needs an identifier with system {codes.NIK} or "
                                              f"{codes.NIK_IBU}", f"{base}.identifier"))
    sex = {"male": "M", "female": "F"}.get(p.gender or "")
    if sex is None:
        v.issues.append(error("value", "gender must be male or female", f"{base}.gender"))
    else:
        v.set(("person", "sex"), sex, f"{base}.gender")
    if isinstance(p.birthDate, date):
        v.set(("person", "birth_date"), p.birthDate.isoformat(), f"{base}.birthDate")
    else:
        v.issues.append(error("required", "birthDate needs year, month and day", f"{base}.birthDate"))
    if p.name:
        n = p.name[0]
        text = n.text or " ".join([*(n.given or []), *([n.family] if n.family else [])])
        if text:
            v.set(("person", "name"), text, f"{base}.name[0]")
    _village(base, p, v)


def _village(base: str, p: Any, v: Draft) -> None:
    for i, address in enumerate(p.address or []):
        for j, ext in enumerate(address.extension or []):
            if ext.url != codes.ADMINISTRATIVE_CODE:
                continue
            for k, sub in enumerate(ext.extension or []):
                if sub.url == "village":
                    where = f"{base}.address[{i}].extension[{j}].extension[{k}].valueCode"
                    code = codes.village_from_fhir(sub.valueCode or sub.valueString or "")
                    if code is None:
                        v.issues.append(error("value", "the village code has 10 digits (e.g. 1801062001)", where))
                    else:
                        v.set(("person", "village_code"), code, where)
                    return
    v.issues.append(error("required", f"the Patient needs an address with the {codes.ADMINISTRATIVE_CODE} "
                                      "extension and its village", f"{base}.address"))
