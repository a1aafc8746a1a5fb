"""The sources of the findings app, one module each (accounts.source_registry reads them)."""
