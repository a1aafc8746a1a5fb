"""Seed GuardDuty, Macie and Inspector findings for the demo organisation."""

from __future__ import annotations

import copy
import random
from datetime import timedelta
from typing import Any

from ..services._common import hex_id, iso_ms
from ..world import World
from .templates import relative

PROD, STAGING, DATA_LAKE, MANAGEMENT = (
    "222222222222",
    "333333333333",
    "444444444444",
    "111111111111",
)
# Documentation address blocks (RFC 5737): never real hosts.
_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")
# GuardDuty severity bands: Critical 9.0-10.0, High 7.0-8.9, Medium 4.0-6.9, Low 1.0-3.9.
_BANDS = ((9.0, 10.0), (7.0, 8.9), (4.0, 6.9), (1.0, 3.9))
BULK_FINDINGS = 120  # PROD us-east-1: more than two ListFindings pages of 50


def _band(severity: float) -> tuple[float, float]:
    return next(b for b in _BANDS if severity >= b[0])


def _replace_ips(value: Any, ip: str) -> Any:
    if isinstance(value, dict):
        return {k: (ip if k == "IpAddressV4" else _replace_ips(v, ip)) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_ips(v, ip) for v in value]
    return value


def _variant(template: dict[str, Any], rng: random.Random, world: World, n: int) -> dict:
    finding = copy.deepcopy(template)
    low, high = _band(finding["Severity"])
    finding["Severity"] = round(rng.uniform(low, high), 1)
    finding["Id"] = hex_id("gd-bulk", n)
    seen = world.clock() - timedelta(minutes=rng.randint(60, 60 * 24 * 60))
    finding["CreatedAt"] = iso_ms(seen - timedelta(hours=rng.randint(0, 72)))
    finding["UpdatedAt"] = iso_ms(seen)
    finding["Service"]["EventFirstSeen"] = finding["CreatedAt"]
    finding["Service"]["EventLastSeen"] = finding["UpdatedAt"]
    finding["Service"]["Count"] = rng.randint(1, 500)
    finding["Service"]["Archived"] = rng.random() < 0.12
    return _replace_ips(finding, rng.choice(_NETS) + str(rng.randint(1, 254)))


def seed_guardduty(world: World, rng: random.Random) -> None:
    """Findings everywhere except STAGING eu-west-1 (no detector); 120 in PROD us-east-1."""
    templates = relative("guardduty_get_findings.json", world.clock(), "Findings")
    for account in (MANAGEMENT, PROD, STAGING, DATA_LAKE):
        for region in ("us-east-1", "eu-west-1"):
            if (account, region) == (STAGING, "eu-west-1"):
                continue
            state = world.guardduty(account, region)
            state.enable()
            if (account, region) == (PROD, "us-east-1"):
                chosen = templates + [
                    _variant(templates[n % len(templates)], rng, world, n)
                    for n in range(BULK_FINDINGS - len(templates))
                ]
            elif account == DATA_LAKE and region == "us-east-1":
                chosen = [t for t in templates if t["Type"].startswith(("CryptoCurrency", "Exfil"))]
            else:
                chosen = rng.sample(templates, 3)
            for template in chosen:
                finding = copy.deepcopy(template)
                finding["Id"] = hex_id(finding["Id"], account, region)
                for key in ("AccountId", "Region", "Arn"):  # filled in for this account
                    finding.pop(key)
                finding["Service"].pop("DetectorId")
                state.add_finding(finding)


def _retarget(finding: dict[str, Any], account: str, region: str, key: str) -> dict[str, Any]:
    text = repr(finding).replace("222222222222", account).replace("us-east-1", region)
    data = eval(text)  # noqa: S307  (our own repr of plain JSON data)
    data[key] = hex_id(data[key], account, region) if key == "id" else data[key]
    return data


def seed_macie(world: World) -> None:
    """Every macie2 finding type in PROD us-east-1, a few in DATA_LAKE; Macie off in STAGING."""
    templates = relative("macie2_get_findings.json", world.clock(), "findings")
    for account in (MANAGEMENT, PROD, DATA_LAKE):
        for region in ("us-east-1", "eu-west-1"):
            state = world.macie(account, region)
            state.enable()
            if account == MANAGEMENT or region == "eu-west-1":
                continue
            chosen = templates if account == PROD else templates[6:9]
            for template in chosen:
                state.add_finding(_retarget(template, account, region, "id"))


def seed_inspector(world: World) -> None:
    """Every severity and type in PROD; STAGING has Inspector DISABLED."""
    findings = relative("inspector2_list_findings.json", world.clock(), "findings")
    coverage = relative("inspector2_list_coverage.json", world.clock(), "coveredResources")
    for account in (MANAGEMENT, PROD, DATA_LAKE):
        state = world.inspector2(account, "us-east-1")
        state.enable("ec2", "ecr", "lambda")
        chosen = findings if account == PROD else findings[:2]
        for finding in chosen:
            data = _retarget(finding, account, "us-east-1", "findingArn")
            if account != PROD:
                suffix = hex_id(data["findingArn"], account)
                data["findingArn"] = f"arn:aws:inspector2:us-east-1:{account}:finding/{suffix}"
            state.add_finding(data)
        if account == PROD:
            for days, template in zip((45, 120, 200), findings[:3], strict=True):
                state.add_finding(_on_web_instance(template, world, days))
        for resource in coverage if account == PROD else coverage[:1]:
            state.add_coverage(_retarget(resource, account, "us-east-1", "resourceId"))


def _on_web_instance(template: dict[str, Any], world: World, days: int) -> dict[str, Any]:
    """A package finding of the ECR image also on PROD's EC2 instance web-01, first seen `days`
    ago: one CVE on several resources, and findings of several ages."""
    data = copy.deepcopy(template)
    arn = data.pop("findingArn")
    data["findingArn"] = arn.rsplit("/", 1)[0] + "/" + hex_id(arn, "web-01")
    data["firstObservedAt"] = iso_ms(world.clock() - timedelta(days=days))
    data["status"] = "ACTIVE"
    data["resources"] = [
        {
            "type": "AWS_EC2_INSTANCE",
            "id": "i-0abc123def4567890",
            "partition": "aws",
            "region": "us-east-1",
            "tags": {"Name": "web-01", "team": "storefront"},
            "details": {"awsEc2Instance": {"type": "t3.large", "platform": "AMAZON_LINUX_2023"}},
        }
    ]
    return data
