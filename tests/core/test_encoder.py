"""The list encoder answers exactly what each list's serializer answers, field for field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone as dj_timezone
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.api.serializers import CollectionRunSerializer
from accounts.models import CollectionRun
from core.api.encoder import RowEncoder, encoder_for
from core.api.renderers import ORJSONRenderer
from costs.api.serializers import BudgetSerializer, CostAnomalySerializer
from costs.models import Budget, CostAnomaly
from findings.api.serializers import FindingSerializer
from findings.governance.sla import with_sla
from findings.models import Finding, FindingVulnerability
from principals.api.serializers import PrincipalSerializer
from principals.models import Principal
from tests.conftest import bearer_client
from tests.factories import UserFactory

HOSTILE = "<script>alert(1)</script> \u2028\u2029 \"quoted\" 'single' \\ back =SUM(A1) é 🦀"


def as_json(data):
    """What a client parses: the serializer's types through DRF's own JSON encoder."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def as_written(rows):
    """What a client parses of the encoder's rows: written by the API's renderer."""
    return json.loads(ORJSONRenderer().render(rows))


def both(serializer_class, queryset, *, rows_from=None):
    """The encoder's rows (of `rows_from`, default `queryset`) and the serializer's output."""
    encoder = RowEncoder(serializer_class)
    rows = (
        (rows_from if rows_from is not None else queryset).order_by("pk").values(*encoder.columns)
    )
    return (
        as_written(encoder.encode(rows)),
        as_json(serializer_class(queryset.order_by("pk"), many=True).data),
    )


@pytest.fixture
def varied(store, account_a, account_b):
    """GuardDuty, Macie-like and Inspector findings with nulls, hostile text, zones, people."""
    plus_five = timezone(timedelta(hours=5, minutes=30))
    a = store(account_a, title=HOSTILE, description=HOSTILE, remote_ip="")
    b = store(
        account_b,
        severity_score=None,
        native_severity="High",
        first_seen=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=plus_five),
        last_seen=None,
        resource_id=HOSTILE,
    )
    c = store(
        account_a,
        source="inspector",
        source_id="arn:aws:inspector2:us-east-1:222222222222:finding/" + "x" * 40,
        type="PACKAGE_VULNERABILITY",
        severity_score=9.8,
        native_severity="CRITICAL",
    )
    FindingVulnerability.objects.create(
        finding=c,
        cve_id="CVE-2021-44228",
        cvss_score=10.0,
        epss_score=None,
        exploit_available=None,
        fix_available="yes",
        package_name="log4j-core",
        packages=[{"name": "log4j-core", "version": "2.14.1"}],
        resource_tags={"team": HOSTILE},
    )
    person = UserFactory(username="dana")
    Finding.objects.filter(pk=a.pk).update(assignee=person, ticket_ref=HOSTILE, category=None)
    Finding.objects.filter(pk=b.pk).update(category="Credentials loss", status="acknowledged")
    return [a, b, c]


def test_findings_encode_as_the_serializer_answers(varied):
    # The list's rows carry the database's sla_due; plain instances compute it in Python.
    encoded, serialized = both(
        FindingSerializer, Finding.objects.all(), rows_from=with_sla(Finding.objects.all())
    )
    assert len(encoded) == 3
    assert encoded == serialized
    assert {row["vulnerability"] is None for row in encoded} == {True, False}
    assert any(row["assignee"] == "dana" for row in encoded)


def test_rows_read_by_the_api_list_encode_as_the_serializer_answers(varied):
    """The API list's own read: ValuesRow tuples, JSON columns kept as PostgreSQL's text."""
    from core.api.encoder import ValuesRow, plain_values

    encoder = RowEncoder(FindingSerializer)
    rows = list(
        plain_values(
            with_sla(Finding.objects.all()).order_by("pk").values(*encoder.columns, "updated_at"),
            json_as_text=True,
        )
    )
    assert all(isinstance(row, ValuesRow) for row in rows)
    encoded = as_written(encoder.encode(rows))
    assert encoded == as_json(FindingSerializer(Finding.objects.order_by("pk"), many=True).data)
    assert encoded[2]["vulnerability"]["resource_tags"] == {"team": HOSTILE}


def test_json_text_is_written_as_it_is_and_stays_valid_json(alice, store, account_a):
    """A JSON column goes from PostgreSQL into the answer as its text: hostile strings stay
    escaped JSON strings, an integer past 64 bits stays exact, and an indented answer (the
    browsable API's) reads the same."""
    f = store(account_a, source="inspector", type="PACKAGE_VULNERABILITY")
    FindingVulnerability.objects.create(
        finding=f,
        packages=[
            {"name": HOSTILE, "n": 2**70, "x": [1.5, None, True, {"</script>": r"\u0000 \ \n"}]}
        ],
        resource_tags={"team": HOSTILE, '"quoted key"': "v"},
    )
    client = bearer_client(alice)
    response = client.get("/api/v1/findings/")
    # jsonb's own text (a space after each colon), not parsed and written again by orjson.
    assert b'"resource_tags":{"team": "' in response.content
    body = json.loads(response.content)
    vulnerability = body["results"][0]["vulnerability"]
    assert vulnerability["packages"] == [
        {"name": HOSTILE, "n": 2**70, "x": [1.5, None, True, {"</script>": r"\u0000 \ \n"}]}
    ]
    assert vulnerability["resource_tags"] == {"team": HOSTILE, '"quoted key"': "v"}
    indented = client.get("/api/v1/findings/", HTTP_ACCEPT="application/json; indent=2")
    assert json.loads(indented.content) == body


def test_times_follow_the_active_zone_as_drf_does(varied):
    with dj_timezone.override("Asia/Kolkata"):
        encoded, serialized = both(FindingSerializer, with_sla(Finding.objects.all()))
    assert encoded == serialized
    assert encoded[1]["first_seen"].endswith("+05:30")


def test_the_api_list_is_the_serializer_output(alice, varied):
    body = bearer_client(alice).get("/api/v1/findings/", {"ordering": "id"}).json()
    expected = as_json(FindingSerializer(Finding.objects.order_by("id"), many=True).data)
    assert any(row["sla_breached"] for row in expected)  # first seen in 2024
    assert body["results"] == expected


def test_other_lists_encode_as_their_serializers(account_a):
    moment = datetime(2024, 5, 14, 9, 30, 15, 250000, tzinfo=UTC)
    CollectionRun.objects.create(
        account=account_a, region="us-east-1", source="guardduty", outcome="ok",
        started_at=moment, finished_at=None, error=HOSTILE,
    )  # fmt: skip
    Principal.objects.create(
        account=account_a, identity="arn:aws:iam::222222222222:user/x", identity_type="iam_user",
        name=HOSTILE, tier=None, evidence={"events": [{"name": HOSTILE}]}, last_seen=moment,
    )  # fmt: skip
    CostAnomaly.objects.create(
        anomaly_id="a1", payer=account_a, account_id="222222222222", service=HOSTILE,
        start_date=date(2024, 5, 1), end_date=None, max_impact=Decimal("12.3456789"),
        total_impact=Decimal("100.10"), total_actual=None, total_expected=Decimal("0"),
        content_hash="x", feedback="",
    )  # fmt: skip
    Budget.objects.create(
        account=account_a, name=HOSTILE, budget_type="COST", time_unit="MONTHLY", unit="USD",
        limit=Decimal("1000.00"), actual=None, percent_used=Decimal("12.50"), status="ok",
        content_hash="x",
    )  # fmt: skip
    for serializer_class, model in (
        (CollectionRunSerializer, CollectionRun),
        (PrincipalSerializer, Principal),
        (CostAnomalySerializer, CostAnomaly),
        (BudgetSerializer, Budget),
    ):
        encoded, serialized = both(serializer_class, model.objects.all())
        assert encoded == serialized and encoded, serializer_class.__name__


def test_a_field_without_a_column_is_refused_not_guessed(db):
    class Guessing(serializers.ModelSerializer):
        shout = serializers.SerializerMethodField()

        class Meta:
            model = Finding
            fields = ["id", "shout"]

        def get_shout(self, obj):  # pragma: no cover - never called
            return obj.title.upper()

    with pytest.raises(ImproperlyConfigured, match="shout"):
        RowEncoder(Guessing)

    class Property(serializers.ModelSerializer):
        class Meta:
            model = Finding
            fields = ["id", "is_open"]

    with pytest.raises(ImproperlyConfigured, match="is_open"):
        RowEncoder(Property)


def test_encoders_are_built_once_per_serializer():
    assert encoder_for(FindingSerializer) is encoder_for(FindingSerializer)


def test_json_columns_read_by_orjson_answer_what_json_loads_does(varied):
    """The list reads JSON columns with orjson; a value orjson refuses goes through the field."""
    from django.db.models import JSONField

    from core.api.encoder import _fast

    field = JSONField()
    fast = _fast(field.from_db_value)
    assert fast is not field.from_db_value
    for text in [
        '{"team": "a", "n": [1, 2.5, null, true]}',
        "[]",
        '"x"',
        "1e400",
        "12345678901234567890123",
        "18446744073709551616",
        "0.1234567890123456789012",
        '"\\ud800"',
    ]:
        assert fast(text, None, None) == field.from_db_value(text, None, None)
    assert fast(None, None, None) is None
    own_decoder = JSONField(decoder=json.JSONDecoder).from_db_value
    assert _fast(own_decoder) is own_decoder
