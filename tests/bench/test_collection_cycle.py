"""bench/collection_cycle.py keeps working: at a small N both modes run, store the same findings,
and administrator mode makes fewer AWS calls and one AssumeRole (the 10x target is the full-size
run's; see docs/operations.md)."""

from __future__ import annotations

from bench.collection_cycle import report, run


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
