"""Seed Cost Explorer (60 days by account and service, anomalies, monitors) and Budgets."""

from __future__ import annotations

import random
from datetime import timedelta

from ..world import World
from .templates import relative

PAYER = "111111111111"
# Typical daily spend per account and service (USD), jittered by ±15% a day.
_DAILY = {
    "111111111111": {"AWS CloudTrail": 4.0, "AWS Cost Explorer": 0.5, "Amazon GuardDuty": 3.0},
    "222222222222": {
        "Amazon Elastic Compute Cloud - Compute": 310.0,
        "Amazon Relational Database Service": 120.0,
        "Amazon Simple Storage Service": 45.0,
        "Amazon GuardDuty": 12.0,
        "AWS Lambda": 8.0,
    },
    "333333333333": {
        "Amazon Elastic Compute Cloud - Compute": 60.0,
        "Amazon Simple Storage Service": 9.0,
        "AWS Lambda": 1.5,
    },
    "444444444444": {
        "Amazon Elastic Compute Cloud - Compute": 40.0,
        "Amazon Simple Storage Service": 95.0,
        "Amazon Athena": 22.0,
        "AWS Glue": 30.0,
    },
}
HISTORY_DAYS = 60
# Days ago of the compute spike in Data Lake: the days of its CryptoCurrency GuardDuty finding
# (guardduty_get_findings.json, about 2 days before now), so the anomaly page shows them together.
SPIKE_DAYS = (3, 2, 1)
SPIKE_EXTRA = 610.0


def days(n: int) -> timedelta:
    """`n` days (used for join dates)."""
    return timedelta(days=n)


def seed_costs(world: World, rng: random.Random) -> None:
    """60 days of daily cost at the payer, anomalies (one the Data Lake spike) and monitors."""
    state = world.ce(PAYER)
    today = world.clock().date()
    spike_days: list[float] = []
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        for account, services in _DAILY.items():
            for service, base in services.items():
                amount = base * rng.uniform(0.85, 1.15)
                if account == "444444444444" and service.endswith("Compute") and back in SPIKE_DAYS:
                    amount += SPIKE_EXTRA
                    spike_days.append(round(amount, 4))
                region = "eu-west-1" if service == "AWS Glue" else "us-east-1"
                state.add_cost(day, account, service, round(amount, 4), region, usage=amount / 0.1)
    for monitor in relative("ce_get_anomaly_monitors.json", world.clock(), "AnomalyMonitors"):
        state.add_monitor(monitor)
    anomalies = relative("ce_get_anomalies.json", world.clock(), "Anomalies")
    spike = anomalies[0]
    spike["AnomalyStartDate"] = f"{today - timedelta(days=SPIKE_DAYS[0])}T00:00:00Z"
    spike["AnomalyEndDate"] = f"{today - timedelta(days=SPIKE_DAYS[-1])}T00:00:00Z"
    cause = spike["RootCauses"][0]
    # The spike's impact agrees with the seeded cost: expected is the usual 40 USD a day.
    expected = _DAILY["444444444444"]["Amazon Elastic Compute Cloud - Compute"] * len(spike_days)
    actual = round(sum(spike_days), 2)
    spike["Impact"] = {
        "MaxImpact": round(max(spike_days) - expected / len(spike_days), 2),
        "TotalImpact": round(actual - expected, 2),
        "TotalActualSpend": actual,
        "TotalExpectedSpend": expected,
        "TotalImpactPercentage": round((actual - expected) / expected * 100, 2),
    }
    cause.update(
        LinkedAccount="444444444444",
        LinkedAccountName="Data Lake",
        UsageType="USE1-BoxUsage:c5.24xlarge",
        Impact={"Contribution": round(actual - expected, 2)},
    )
    zero_expected = {
        "AnomalyId": "7b3e2a10-4d5c-4e6f-8a9b-0c1d2e3f4a5b",
        "AnomalyStartDate": f"{today - timedelta(days=3)}T00:00:00Z",
        "AnomalyEndDate": f"{today - timedelta(days=2)}T00:00:00Z",
        "DimensionValue": "Amazon Athena",
        "RootCauses": [
            {
                "Service": "Amazon Athena",
                "Region": "us-east-1",
                "LinkedAccount": "444444444444",
                "LinkedAccountName": "Data Lake",
                "UsageType": "USE1-DataScannedInTB",
                "Impact": {"Contribution": 88.0},
            }
        ],
        "AnomalyScore": {"MaxScore": 0.81, "CurrentScore": 0.44},
        "Impact": {
            "MaxImpact": 88.0,
            "TotalImpact": 88.0,
            "TotalActualSpend": 88.0,
            "TotalExpectedSpend": 0.0,
        },
        "MonitorArn": anomalies[0]["MonitorArn"],
    }
    for anomaly in [*anomalies, zero_expected]:
        state.add_anomaly(anomaly)


def seed_budgets(world: World) -> None:
    """Several budgets per account: one over, one forecast over, one near 80%, the rest fine."""
    specs = {
        "111111111111": [("org-monthly-cost", 25000.0, 17400.0, 24100.0)],
        "222222222222": [
            ("prod-monthly-cost", 15000.0, 16250.0, 19800.0),
            ("prod-compute", 10000.0, 6100.0, 11900.0),
            ("prod-storage", 2000.0, 1640.0, 1950.0),
        ],
        "333333333333": [("staging-monthly-cost", 3000.0, 1100.0, 2100.0)],
        "444444444444": [
            ("datalake-monthly-cost", 8000.0, 6650.0, 9900.0),
            ("datalake-athena", 1500.0, 420.0, 800.0),
        ],
    }
    for account, budgets in specs.items():
        state = world.budgets(account)
        for name, limit, actual, forecast in budgets:
            state.add_budget(name, limit, actual, forecast)
