"""aws_emulator: a faithful fake of the AWS APIs Watchpost calls, for tests and the demo.

See README.md in this package for the interface and the decisions behind it.
"""

from typing import Any

from .clock import Clock
from .dispatch import CallRecord, Fault
from .emulator import Emulator
from .errors import AwsError, EmulatorBug
from .world import World


def demo_world(hub_account_id: str = "111111111111", **kwargs: Any) -> World:
    """A realistic multi-account organisation (see aws_emulator.seed)."""
    from .seed import build_demo_world

    return build_demo_world(hub_account_id=hub_account_id, **kwargs)


__all__ = [
    "AwsError",
    "CallRecord",
    "Clock",
    "Emulator",
    "EmulatorBug",
    "Fault",
    "World",
    "demo_world",
]
