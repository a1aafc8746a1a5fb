"""What the OpenAPI document says of the answers schemathesis found it wrong about (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def response_schema(document: dict[str, Any], path: str, code: str = "200") -> dict[str, Any]:
    return document["paths"][path]["get"]["responses"][code]["content"]["application/json"][
        "schema"
    ]


def test_assignee_is_nullable(document):
    assignee = document["components"]["schemas"]["Finding"]["properties"]["assignee"]
    assert assignee["nullable"] is True


def test_summary_is_one_object_with_the_findings_filters(document):
    assert response_schema(document, "/api/v1/summary/") == {
        "$ref": "#/components/schemas/FindingSummary"
    }
    names = {p["name"] for p in document["paths"]["/api/v1/summary/"]["get"]["parameters"]}
    assert {"account", "severity", "source", "status", "updated_since"} <= names


def test_export_answers_an_array_and_documents_its_filters(document):
    operation = document["paths"]["/api/v1/findings/export/"]["get"]
    schema = response_schema(document, "/api/v1/findings/export/")
    assert schema["type"] == "array"
    row = document["components"]["schemas"]["FindingExportRow"]
    assert {r["$ref"].rsplit("/", 1)[1] for r in row["oneOf"]} == {
        "Finding",
        "OcsfDetectionFinding",
    }
    assert "text/csv" in operation["responses"]["200"]["content"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"format", "account", "severity", "status", "aws_state", "q", "ordering"} <= names


def test_blank_outcomes_are_declared(document):
    schemas = document["components"]["schemas"]
    for schema, field in (("AwsAccount", "last_check_outcome"), ("CollectionRun", "outcome")):
        refs = {r["$ref"] for r in schemas[schema]["properties"][field]["oneOf"]}
        assert "#/components/schemas/BlankEnum" in refs


def test_every_operation_declares_the_errors_it_can_answer(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "429"} <= codes, (method, path)
            if "{" in path or any(p["name"] == "page" for p in operation.get("parameters", [])):
                assert "404" in codes, (method, path)
            if method in ("post", "patch"):
                assert "400" in codes, (method, path)
            retry = operation["responses"]["429"].get("headers", {})
            assert "Retry-After" in retry, (method, path)
    patch = document["paths"]["/api/v1/findings/{id}/"]["patch"]["responses"]
    assert {"412", "428"} <= set(patch)
