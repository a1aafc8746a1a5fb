"""bench/collection_cycle.py keeps working: at a small N both modes run, store the same findings,
and administrator mode makes fewer AWS calls and one AssumeRole (the 10x target is the full-size
run's; see docs/operations.md)."""

from __future__ import annotations

import pytest

from bench.collection_cycle import report, report_workers, run, run_workers


def test_the_collection_cycle_bench_compares_both_modes(db):
    result = run(8, 3)
    member, admin = result["member"], result["administrator"]
    assert result["same_findings"], result
    assert member["targets"] == 8 * 3 and admin["targets"] == 3
    assert member["failed"] == 0 and admin["failed"] == 0
    assert admin["assume_role"] == 1 and member["assume_role"] == 8
    assert result["ratio"] > 3
    text = report(result)
    assert "| member | 24 |" in text and "Same findings stored both ways: yes" in text


@pytest.mark.django_db(transaction=True)
def test_the_worker_bench_runs_real_workers_and_holds_cloudtrails_limit(postgres, redis_url):
    """Real `celery worker` processes, 1 then 2, over the emulator in HTTP mode: every target
    collected, CloudTrail never throttled, the figures printed (the 0.8 efficiency target is the
    quiet full-size run's; timings are not asserted here)."""
    result = run_workers(1, 2, workers=2)  # two regions of one account collected at once
    one, many = result["runs"]
    for r in (one, many):
        assert r["targets"] == 2 * 2 and r["failed"] == 0, r
        assert r["throttled"] == 0 and r["limit_held"], r
        # 150 events a target, 50 a page: at least 3 LookupEvents per CloudTrail target
        assert r["lookup_events"] >= 3 * 2, r
        assert r["assume_role"] >= 1, r
    assert one["calls"] == many["calls"] - (many["assume_role"] - one["assume_role"])
    assert result["limit_held"] and result["efficiency"] > 0
    text = report_workers(result)
    assert "| 1 | 4 |" in text and "| 2 | 4 |" in text
    assert "Parallel efficiency, time(1) / (2 x time(2))" in text
