"""Cost Explorer (cost and usage, forecasts, anomalies): declared once here; its collector is
costs/collectors/cost_explorer.py. Asked of the payer only (docs/domain.md, Costs)."""

from __future__ import annotations

from accounts.source_registry import Probe, SourceDeclaration

SOURCE = SourceDeclaration(
    name="costs",
    label="Costs",
    order=50,
    # Cost Explorer data refreshes up to 3 times a day and costs USD 0.01 a request.
    schedule_minutes=8 * 60,
    syncer="costs.services.costs_sync",
    # costs USD 0.01, asked of the payer only
    probe=Probe("ce", "get_anomaly_monitors", lambda account_id: {"MaxResults": 1}),
    calls=(
        "ce:GetCostAndUsage",
        "ce:GetCostForecast",
        "ce:GetAnomalyMonitors",
        "ce:GetAnomalies",
    ),
    # GetAnomalies / GetAnomalyMonitors: no documented page size; 100 is the model's usual maximum.
    page_sizes={"GetAnomalies": 100, "GetAnomalyMonitors": 100},
    regional=False,
    payer_only=True,
)
