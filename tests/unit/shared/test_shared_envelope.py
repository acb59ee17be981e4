"""CloudEvents binary-mode envelope: encode/decode round trip, header set, keys, decode errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contracts import events as ev
from shared.envelope import EnvelopeError, KafkaRecord, decode, encode

WIB = timezone(timedelta(hours=7))
AT = datetime(2024, 8, 14, 9, 30, 15, 250000, tzinfo=WIB)
SOURCE = "/jejaring/test"
EXPECTED_HEADERS = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"}


VISIT_ID = UUID("0b8f2a3e-6f0c-4c55-9a43-5f1f3d2b9c10")


SAMPLES: dict[type[ev.EventData], ev.EventData] = {
    ev.VisitRecorded: ev.VisitRecorded(
        visit_id=VISIT_ID, person_id="p_child01", facility_id="P3171010101", facility_type="posyandu",
        service_point="posyandu", village_code="31.71.01.1001", occurred_at=AT, recorded_at=AT + timedelta(minutes=2),
        sex="M", age_days=400, stage="under_five",
        measurements={"weight_kg": 8.2, "height_cm": 74.5, "measured_lying": True, "muac_cm": 12.1,
                      "tb_symptoms": ["fever", "night_sweats"]},
    ),
    ev.VisitScreened: ev.VisitScreened(
        visit_id=VISIT_ID, person_id="p_child01", facility_id="P3171010101", village_code="31.71.01.1001",
        occurred_at=AT, stage="under_five", sex="M", age_days=400,
        zscores={"wfa": -2.31, "lhfa": -1.2, "wflh": -2.05}, flags=["underweight"], risk_codes=["C2.WASTING"],
        ruleset_version="2024.1",
    ),
    ev.RiskDetected: ev.RiskDetected(
        risk_id=uuid5(NAMESPACE_URL, "visit/rule"), visit_id=VISIT_ID, person_id="p_child01",
        facility_id="P3171010101", village_code="31.71.01.1001", occurred_at=AT, stage="under_five",
        code="C2.WASTING", cluster=2, severity="high", evidence={"wflh": -2.05, "oedema": False},
        recommended_level="puskesmas", ruleset_version="2024.1",
    ),
    ev.ReferralMade: ev.ReferralMade(
        referral_id=uuid4(), person_id="p_child01", risk_id=uuid4(), risk_code="C2.WASTING",
        village_code="31.71.01.1001", origin_facility_id="P3171010101", destination_facility_id="PKM3171010",
        destination_level="puskesmas", reason="wasting", urgency="high", made_at=AT, due_at=AT + timedelta(days=3),
    ),
    ev.ReferralUpdated: ev.ReferralUpdated(
        update_id=uuid4(), referral_id=uuid4(), person_id="p_child01", village_code="31.71.01.1001",
        origin_facility_id="P3171010101", destination_facility_id=None, status="completed",
        previous_status="attended", at=AT + timedelta(days=2), made_at=AT,
        note="rujuk balik", feedback={"diagnosis": "gizi kurang", "plan": ["PMT", "kontrol 2 minggu"]},
    ),
    ev.FacilityRegistered: ev.FacilityRegistered(
        facility_id="PKM3171010", name="Puskesmas Gambir", type="puskesmas", parent_id=None,
        village_code="31.71.01.1001", capabilities=["usg", "lab_hb"], revision=3,
    ),
    ev.TargetSet: ev.TargetSet(village_code="31.71.01.1001", year=2024, target="under_five", count=312),
    ev.PersonLinked: ev.PersonLinked(
        person_id="p_childnik", previous_person_id="p_motherprov", linked_at=AT, birth_date=date(2023, 7, 1),
    ),
    ev.FacilityTokenChanged: ev.FacilityTokenChanged(
        token_hash="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", facility_id="P3171010101",
    ),
    ev.OutbreakSignal: ev.OutbreakSignal(
        signal_id=uuid5(NAMESPACE_URL, "signal"), area_kind="village", area_code="31.71.01.1001",
        village_code="31.71.01.1001", village_codes=["31.71.01.1001"], district_code="31.71",
        disease="suspected_dengue", skdr_code="C",
        rule={"method": "doubling", "params": {"weeks": 4, "factor": 2, "min_cases": 3}, "source": "PMK1501"},
        week="2024-W33", week_start=date(2024, 8, 12),
        counts={"this_week": 3, "threshold": 3, "baseline": [{"week": "2024-W32", "count": 0}]},
        evidence={"tipping_visit_id": VISIT_ID, "cases": [{"visit_id": VISIT_ID, "person_id": "p_child01",
                  "village_code": "31.71.01.1001", "facility_id": "P3171010101", "occurred_at": AT}]},
        status="closed", previous_status="verified", outcome="false_alarm", raised_at=AT,
        escalate_at=AT + timedelta(hours=24), changed_at=AT + timedelta(hours=5), note="PE: bukan KLB",
        actor_token_id="tok_1", revision=3,
    ),
}
# Which field is the Kafka key (and subject), spelled out rather than read from ``key_field``.
KEY_FIELD = {cls: "person_id" for cls in SAMPLES} | {
    ev.FacilityRegistered: "facility_id",
    ev.TargetSet: "village_code",
    ev.FacilityTokenChanged: "token_hash",
    ev.OutbreakSignal: "area_code",
}


def _with_headers(record: KafkaRecord, **changes: bytes | None) -> KafkaRecord:
    """The record with headers replaced (None drops one); names use ``_`` for ``-``."""
    changes = {k.replace("content_type", "content-type"): v for k, v in changes.items()}
    headers = tuple((k, changes.get(k, v)) for k, v in record.headers if changes.get(k, v) is not None)
    return replace(record, headers=headers)


def _with_data(record: KafkaRecord, **fields) -> KafkaRecord:
    return replace(record, value=json.dumps({**json.loads(record.value), **fields}).encode())


def test_samples_cover_every_event_type():
    assert {cls.ce_type for cls in SAMPLES} == set(ev.EVENT_TYPES)


@pytest.mark.parametrize("data", list(SAMPLES.values()), ids=lambda d: type(d).__name__)
def test_round_trip_every_event_type(data):
    event_id = uuid4()
    record = encode(data, source=SOURCE, event_id=event_id)
    envelope = decode(record)

    assert envelope.data == data and type(envelope.data) is type(data)
    assert (envelope.id, envelope.type, envelope.source) == (str(event_id), data.ce_type, SOURCE)
    assert record.topic == data.topic
    assert {name for name, _ in record.headers} == EXPECTED_HEADERS
    assert len(record.headers) == len(EXPECTED_HEADERS)
    headers = dict(record.headers)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == str(event_id).encode()
    assert headers["ce_type"] == data.ce_type.encode()
    assert headers["content-type"] == b"application/json"
    assert record.key == getattr(data, KEY_FIELD[type(data)]).encode()
    assert headers["ce_subject"] == record.key == envelope.subject.encode()
    if data.event_time() is not None:
        assert envelope.time == data.event_time()


@pytest.mark.parametrize("cls", [c for c, f in KEY_FIELD.items() if f == "person_id"], ids=lambda c: c.__name__)
def test_person_events_are_keyed_by_person_id(cls):
    assert encode(SAMPLES[cls], source=SOURCE).key == SAMPLES[cls].person_id.encode()


def test_facility_registered_is_keyed_by_facility_id():
    assert encode(SAMPLES[ev.FacilityRegistered], source=SOURCE).key == b"PKM3171010"


def test_event_id_defaults_to_fresh_uuid():
    data = SAMPLES[ev.TargetSet]
    a, b = (decode(encode(data, source=SOURCE)).id for _ in range(2))
    assert a != b and UUID(a) and UUID(b)


def test_ce_time_is_when_it_happened_with_offset():
    record = encode(SAMPLES[ev.VisitRecorded], source=SOURCE)
    assert datetime.fromisoformat(dict(record.headers)["ce_time"].decode()) == AT


VISIT_RECORD = encode(SAMPLES[ev.VisitRecorded], source=SOURCE, event_id=uuid4())


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (_with_headers(VISIT_RECORD, ce_specversion=None), "ce_specversion"),
        (_with_headers(VISIT_RECORD, ce_specversion=b"0.3"), "ce_specversion"),
        (_with_headers(VISIT_RECORD, ce_type=b"id.jejaring.unknown.v9"), "unknown event type 'id.jejaring.unknown.v9'"),
        (_with_headers(VISIT_RECORD, ce_id=None), "ce_id"),
        (_with_headers(VISIT_RECORD, ce_source=None), "source"),
        (replace(VISIT_RECORD, value=b"{not json"), "not JSON"),
        (replace(VISIT_RECORD, value=b"\xff\xfe\x00"), "not JSON"),
        (_with_data(VISIT_RECORD, age_days=-1), "age_days:"),
        (_with_data(VISIT_RECORD, sex="X"), "sex:"),
        (_with_data(VISIT_RECORD, measurements={"weight_kg": 900}), "measurements.weight_kg:"),
        (_with_data(VISIT_RECORD, occurred_at="2024-08-14T09:30:00"), "occurred_at:"),
        (replace(VISIT_RECORD, value=b"[1, 2]"), "<root>:"),
    ],
    ids=["no-specversion", "old-specversion", "unknown-type", "no-id", "no-source", "non-json", "non-utf8",
         "negative-age", "bad-enum", "nested-range", "naive-datetime", "not-object"],
)
def test_decode_errors_name_the_reason(record, reason):
    with pytest.raises(EnvelopeError) as info:
        decode(record)
    assert reason in info.value.reason
    assert str(info.value) == info.value.reason


def test_missing_required_field_is_named():
    value = json.loads(VISIT_RECORD.value)
    del value["person_id"]
    with pytest.raises(EnvelopeError, match=r"person_id: Field required"):
        decode(replace(VISIT_RECORD, value=json.dumps(value).encode()))


def test_unknown_fields_are_ignored_for_forward_compatibility():
    value = json.loads(VISIT_RECORD.value)
    value["added_in_v1_1"] = {"anything": [1, 2]}
    value["measurements"]["new_instrument_reading"] = 3.2
    envelope = decode(replace(VISIT_RECORD, value=json.dumps(value).encode()))
    assert envelope.data == SAMPLES[ev.VisitRecorded]
    assert "added_in_v1_1" not in envelope.data.model_dump()


def test_unknown_extra_headers_do_not_break_decoding():
    record = replace(VISIT_RECORD, headers=VISIT_RECORD.headers + (("traceparent", b"00-abc-def-01"),))
    assert decode(record).data == SAMPLES[ev.VisitRecorded]


# --- property: random valid VisitRecorded-like payloads round-trip ---------------------------------

_offsets = st.sampled_from([timezone.utc, WIB, timezone(timedelta(hours=8)), timezone(timedelta(hours=9))])
_moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=_offsets)
_ids = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).map(str.strip).filter(bool)


def _opt_float(lo: float, hi: float):
    return st.none() | st.floats(lo, hi, allow_nan=False, allow_infinity=False)


_measurements = st.fixed_dictionaries(
    {},
    optional={
        "weight_kg": _opt_float(0.5, 250),
        "height_cm": _opt_float(30, 230),
        "muac_cm": _opt_float(5, 60),
        "hb_g_dl": _opt_float(2, 25),
        "measured_lying": st.none() | st.booleans(),
        "tb_symptoms": st.none() | st.lists(st.sampled_from(["fever", "night_sweats", "haemoptysis"]), max_size=3),
        "puma_score": st.none() | st.integers(0, 8),
    },
)

_visits = st.builds(
    ev.VisitRecorded,
    visit_id=st.uuids(),
    person_id=_ids,
    facility_id=_ids,
    facility_type=st.none() | st.sampled_from(["posyandu", "pustu", "puskesmas", "rs"]),
    service_point=st.sampled_from(["posyandu", "pustu", "puskesmas", "home_visit", "rs"]),
    village_code=st.from_regex(r"\A\d{2}\.\d{2}\.\d{2}\.\d{4}\Z"),
    occurred_at=_moments,
    recorded_at=_moments,
    sex=st.sampled_from(["M", "F"]),
    age_days=st.integers(0, 40000),
    stage=st.sampled_from(["under_five", "preschool", "school_age", "adult", "elderly"]),
    pregnancy=st.none() | st.builds(dict, gestational_weeks=st.integers(1, 45)),
    measurements=_measurements,
    data_quality=st.lists(st.sampled_from(["height_estimated", "age_estimated", "outlier_weight"]), max_size=3),
)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_visits, event_id=st.uuids())
def test_property_visit_recorded_round_trips(data, event_id):
    record = encode(data, source=SOURCE, event_id=event_id)
    envelope = decode(record)
    assert envelope.data == data
    assert envelope.id == str(event_id)
    assert envelope.time == data.occurred_at
    assert record.key == data.person_id.encode() == dict(record.headers)["ce_subject"]


# -- conformance with the cloudevents SDK, the reference implementation -------------------------------
def test_our_records_read_the_same_with_the_cloudevents_sdk() -> None:
    import json

    from cloudevents.core.bindings import kafka as ce_kafka
    from cloudevents.core.formats.json import JSONFormat

    for cls, data in SAMPLES.items():
        record = encode(data, source="/jejaring/test", event_id="id-1")
        event = ce_kafka.from_binary(
            ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value), JSONFormat())
        assert event.get_id() == "id-1" and event.get_type() == cls.ce_type
        assert event.get_source() == "/jejaring/test" and event.get_subject() == data.subject()
        assert event.get_time() == data.event_time() or data.event_time() is None
        body = event.get_data()
        body = json.loads(body) if isinstance(body, (bytes, str)) else body
        assert cls.model_validate(body) == data


def test_sdk_records_decode_the_same_with_ours() -> None:
    from datetime import datetime, timezone

    from cloudevents.core.bindings import kafka as ce_kafka
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent

    for cls, data in SAMPLES.items():
        moment = data.event_time() or datetime(2026, 11, 20, tzinfo=timezone.utc)
        event = CloudEvent(attributes={"id": "sdk-1", "source": "/sdk", "type": cls.ce_type, "specversion": "1.0",
                                       "datacontenttype": "application/json", "subject": data.subject(),
                                       "time": moment},
                           data=data.model_dump(mode="json"))
        message = ce_kafka.to_binary(event, JSONFormat(), key_mapper=lambda _e: data.key())
        record = KafkaRecord(topic=cls.topic, key=message.key.encode(), value=message.value,
                             headers=tuple(message.headers.items()))
        envelope = decode(record)
        assert envelope.id == "sdk-1" and envelope.source == "/sdk" and envelope.type == cls.ce_type
        assert envelope.data == data and envelope.time == moment
