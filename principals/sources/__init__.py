"""The CloudTrail source (accounts.source_registry reads it)."""
