"""One place per source: each source's declaration (accounts.source_registry) is what the spine
reads for its choices, schedule, connection probe, IAM policy and syncer; the spine names none."""

from __future__ import annotations

import re
from pathlib import Path

from accounts import collection
from accounts.choices import Source
from accounts.iam import member_actions
from accounts.schedule import source_interval_minutes
from accounts.source_registry import source_declaration, source_declarations
from config.celery import app as celery_app
from findings.choices import FindingSource

ROOT = Path(__file__).resolve().parents[2]
SPINE = [
    "accounts/collection.py",
    "accounts/schedule.py",
    "accounts/iam.py",
    "accounts/choices.py",
    "accounts/apps.py",
    "accounts/organizations.py",
    "config/celery.py",
]


def test_every_source_is_declared_once_in_the_order_of_the_choices() -> None:
    names = [d.name for d in source_declarations()]
    assert names == ["guardduty", "macie", "inspector", "cloudtrail", "costs", "budgets"]
    assert Source.choices == [(d.name, d.label) for d in source_declarations()]
    finding_sources = [d.name for d in source_declarations() if d.finding_source]
    assert FindingSource.values == finding_sources


def test_the_spine_reads_the_declarations_and_names_no_source() -> None:
    pattern = re.compile(r"\b(" + "|".join(d.name for d in source_declarations()) + r")\b", re.I)
    for path in SPINE:
        text = (ROOT / path).read_text()
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        code = re.sub(r'"""[\s\S]*?"""', "", code)  # docstrings may explain with an example
        assert not pattern.search(code), (path, pattern.search(code))


def test_schedule_syncers_and_policy_come_from_the_declarations() -> None:
    for declaration in source_declarations():
        minutes = declaration.schedule_minutes
        assert source_interval_minutes()[declaration.name] == minutes
        entry = celery_app.conf.beat_schedule[f"collect-{declaration.name}"]
        assert entry["schedule"] == minutes * 60.0 and entry["args"] == (declaration.name,)
        spec = collection.source_spec(declaration.name)
        assert spec is not None and spec.regional == declaration.regional
        assert spec.payer_only == declaration.payer_only
        assert f"{spec.sync.__module__.split('.')[0]}" == declaration.syncer.split(".")[0]
    granted = set(member_actions())
    assert "guardduty:GetFindings" in granted and "cloudtrail:LookupEvents" in granted


def test_collectors_page_by_the_declared_sizes() -> None:
    from costs.collectors import budgets
    from findings.collectors import guardduty, inspector
    from principals.collectors import cloudtrail

    assert guardduty.PAGE_SIZE == source_declaration("guardduty").page_sizes["ListFindings"] == 50
    assert source_declaration("inspector").page_sizes["ListFindings"] == inspector.PAGE_SIZE
    assert source_declaration("cloudtrail").page_sizes["LookupEvents"] == cloudtrail.PAGE_SIZE
    assert source_declaration("budgets").page_sizes["DescribeBudgets"] == budgets.BUDGETS_PAGE
