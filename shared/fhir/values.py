"""Values of table rows: read an Observation's or a QuestionnaireResponse item's value, and write one.

Reading works on validated ``fhir.resources`` models (``Decimal`` quantities, typed booleans);
writing produces plain JSON dicts. Both follow the row's ``value`` type and unit from ``codes``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.fhir.codes import UCUM, Coding, Field
from shared.fhir.outcome import Issue, error


class ValueError_(Exception):
    """A value that does not fit its row; carries the issue."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.diagnostics)
        self.issue = issue


def number(value: Decimal | int | float, factor: float, integer: bool) -> int | float:
    """A FHIR decimal in the intake's unit: an int for whole values of integer fields."""
    result = float(value) if factor == 1.0 else round(float(value) * factor, 6)
    if integer and abs(result - round(result)) < 1e-9:
        return int(round(result))
    return result


def _coded(codings: list[Any] | None, row: Field, where: str) -> Any:
    for c in codings or ():
        for value, answer in row.answers:
            if c.system == answer.system and c.code == answer.code:
                return value
    allowed = ", ".join(f"{a.code}" for _, a in row.answers)
    raise ValueError_(error("code-invalid", f"{row.name}: the answer is not one of {allowed} "
                                            f"({row.answers[0][1].system})", where))


def observation_value(obs: Any, row: Field, base: str) -> tuple[Any, str]:
    """The intake value of an Observation for ``row`` and the FHIRPath it came from."""
    label = f"{row.coding.code} ({row.coding.display})" if row.coding else row.name
    if row.value in ("decimal", "integer") and row.unit:
        q = obs.valueQuantity
        if q is None or q.value is None:
            raise ValueError_(error("required", f"{label} needs valueQuantity in {row.unit}", f"{base}.valueQuantity"))
        if q.system is not None and q.system != UCUM:
            raise ValueError_(error("code-invalid", f"{label}: the unit must be UCUM ({UCUM})",
                                    f"{base}.valueQuantity.system"))
        unit = q.code if q.code is not None else q.unit
        factors = row.accepted_units()
        if unit not in factors:
            where = f"{base}.valueQuantity.{'code' if q.code is not None else 'unit'}"
            raise ValueError_(error("code-invalid", f"{label}: the unit is not accepted; use UCUM "
                                                    f"{' or '.join(factors)}", where))
        return number(q.value, factors[unit], row.value == "integer"), f"{base}.valueQuantity.value"
    if row.value == "integer":
        if obs.valueInteger is None:
            raise ValueError_(error("required", f"{label} needs valueInteger", f"{base}.valueInteger"))
        return int(obs.valueInteger), f"{base}.valueInteger"
    if row.value == "boolean":
        if obs.valueBoolean is None:
            raise ValueError_(error("required", f"{label} needs valueBoolean", f"{base}.valueBoolean"))
        return bool(obs.valueBoolean), f"{base}.valueBoolean"
    if row.value == "string":
        if obs.valueString is None:
            raise ValueError_(error("required", f"{label} needs valueString", f"{base}.valueString"))
        return str(obs.valueString), f"{base}.valueString"
    if row.value == "coded":
        where = f"{base}.valueCodeableConcept"
        if obs.valueCodeableConcept is None:
            raise ValueError_(error("required", f"{label} needs valueCodeableConcept", where))
        return _coded(obs.valueCodeableConcept.coding, row, where), where
    raise ValueError_(error("not-supported", f"{label}: value type {row.value} is not read from an Observation", base))


def item_value(item: Any, row: Field, base: str) -> tuple[Any, str]:
    """The intake value of a QuestionnaireResponse item for ``row`` and its FHIRPath."""
    answers = item.answer or []
    if row.value == "codes":
        values = [_coded([a.valueCoding] if a.valueCoding else [], row, f"{base}.answer[{i}].valueCoding")
                  for i, a in enumerate(answers)]
        return values, f"{base}.answer"
    where = f"{base}.answer[0]"
    if len(answers) != 1:
        raise ValueError_(error("structure", f"{row.name} needs exactly one answer", f"{base}.answer"))
    a = answers[0]
    if row.value == "integer" and a.valueInteger is not None:
        return int(a.valueInteger), f"{where}.valueInteger"
    if row.value == "decimal" and (a.valueDecimal is not None or a.valueInteger is not None):
        raw = a.valueDecimal if a.valueDecimal is not None else a.valueInteger
        return number(raw, 1.0, False), f"{where}.valueDecimal"
    if row.value == "boolean" and a.valueBoolean is not None:
        return bool(a.valueBoolean), f"{where}.valueBoolean"
    if row.value == "string" and a.valueString is not None:
        return str(a.valueString), f"{where}.valueString"
    if row.value == "coded" and a.valueCoding is not None:
        return _coded([a.valueCoding], row, f"{where}.valueCoding"), f"{where}.valueCoding"
    kind = {"integer": "valueInteger", "decimal": "valueDecimal", "boolean": "valueBoolean", "string": "valueString",
            "coded": "valueCoding"}[row.value]
    raise ValueError_(error("value", f"{row.name} needs an answer with {kind}", where))


def write_observation_value(row: Field, value: Any) -> dict[str, Any]:
    """The ``value[x]`` element of an Observation for an intake value."""
    if row.value in ("decimal", "integer") and row.unit:
        return {"valueQuantity": {"value": value, "unit": row.unit, "system": UCUM, "code": row.unit}}
    if row.value == "integer":
        return {"valueInteger": value}
    if row.value == "boolean":
        return {"valueBoolean": value}
    if row.value == "string":
        return {"valueString": value}
    return {"valueCodeableConcept": {"coding": [answer_of(row, value).as_dict()]}}


def write_item(row: Field, value: Any) -> dict[str, Any]:
    """A QuestionnaireResponse item for an intake value."""
    item: dict[str, Any] = {"linkId": row.coding.code, "text": row.coding.display}
    if row.value == "codes":
        if value:
            item["answer"] = [{"valueCoding": answer_of(row, v).as_dict()} for v in value]
        return item
    key = {"integer": "valueInteger", "decimal": "valueDecimal", "boolean": "valueBoolean",
           "string": "valueString"}.get(row.value)
    item["answer"] = [{key: value}] if key else [{"valueCoding": answer_of(row, value).as_dict()}]
    return item


def answer_of(row: Field, value: Any) -> Coding:
    for v, coding in row.answers:
        if v == value and type(v) is type(value):
            return coding
    raise KeyError(f"{row.name}: no answer for {value!r}")
