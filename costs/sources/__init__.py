"""The sources of the costs app, one module each (accounts.source_registry reads them)."""
