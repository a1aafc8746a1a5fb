"""The findings CSV has the API list's fields, in its order: the two cannot drift apart."""

from __future__ import annotations

import csv
import io

from findings.api.serializers import FindingSerializer
from findings.export import CSV_COLUMNS, NESTED_FIELDS
from tests.conftest import bearer_client

CSV_URL = "/findings/export.csv"


def test_the_csv_columns_are_the_api_fields_less_nested_objects():
    fields = [f for f in FindingSerializer.Meta.fields if f not in NESTED_FIELDS]
    assert list(CSV_COLUMNS) == fields
    assert set(FindingSerializer.Meta.fields) >= NESTED_FIELDS  # nothing left out by mistake


def test_every_csv_cell_says_what_the_api_says(client, alice, store, account_a):
    finding = store(account_a, title="a title", remote_ip="198.51.100.7", port=22)
    finding.assignee = alice
    finding.save()
    api = bearer_client(alice).get(f"/api/v1/findings/{finding.pk}/").json()
    client.force_login(alice)
    body = b"".join(client.get(CSV_URL).streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == list(CSV_COLUMNS)
    row = dict(zip(header, rows[0], strict=True))
    for name in CSV_COLUMNS:
        value = api[name]
        expected = "" if value is None else str(value)
        if name.endswith(("_at", "_seen", "_due")) and value:  # ISO 8601 both, DRF writes Z
            expected = expected.replace("Z", "+00:00")
        assert (name, row[name]) == (name, expected)
