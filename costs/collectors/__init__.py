"""Collectors of the costs app: they talk to AWS only and return frozen dataclasses."""
