"""The fast JSON response writes what Starlette's standard one writes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from shared.web import LargeJSONResponse

SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text() | st.floats(allow_nan=False,
                                                                                         allow_infinity=False)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=30)


@given(VALUES)
def test_it_parses_back_to_what_the_standard_response_writes(value: object) -> None:
    fast, standard = LargeJSONResponse(value), JSONResponse(value)
    assert json.loads(fast.body) == json.loads(standard.body)
    assert fast.headers["content-type"] == standard.headers["content-type"] == "application/json"


def test_a_pws_like_answer_is_byte_for_byte_the_standard_compact_json() -> None:
    answer = {"region": {"code": "18.01", "name": "Lampung Selatan", "level": "kabupaten"},
              "total": {"indicators": {"visits": {"numerator": 12, "denominator": None, "value": 12.5,
                                                  "target": 80.0, "colour": "red"}}},
              "rows": [{"name": "Jati Agung — Désa", "villages": 29}], "generated_at": "2026-12-01T00:00:00+00:00"}
    assert LargeJSONResponse(answer).body == JSONResponse(answer).body


def test_a_nan_is_written_as_null_so_the_body_stays_json() -> None:
    assert json.loads(LargeJSONResponse({"value": float("nan")}).body) == {"value": None}
