"""One module per AWS source: pure AWS talk returning FindingRecords (no database, no settings)."""
