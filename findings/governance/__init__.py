"""Governance of findings (issue 17): SLAs per severity, mean time to resolve, risk acceptances.

`sla` (deadlines, `sla_due`/`sla_breached` as query expressions, mean time to resolve) and
`acceptance` (rules that accept findings until they expire) are the interfaces other code uses.
"""
