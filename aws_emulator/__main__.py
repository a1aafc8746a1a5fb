"""CLI: serve a world over HTTP for the demo (`python -m aws_emulator --seed demo`)."""

from __future__ import annotations

import argparse
import logging

from . import World, demo_world
from .server import EmulatorServer


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m aws_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--seed", choices=("demo", "empty"), default="demo")
    parser.add_argument("--hub-account-id", default="111111111111")
    parser.add_argument(
        "--throttle",
        action="append",
        default=[],
        metavar="ACCOUNT[:SERVICE]",
        help="Answer every call of SERVICE (default guardduty) in ACCOUNT with ThrottlingException "
        "(the demo's DEMO_THROTTLE_ACCOUNT): how a source AWS keeps throttling looks.",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    world = demo_world(args.hub_account_id) if args.seed == "demo" else World(args.hub_account_id)
    server = EmulatorServer(world, host=args.host, port=args.port)
    for spec in args.throttle:
        account, _, service = spec.partition(":")
        if not (account.isdigit() and len(account) == 12):
            parser.error(f"--throttle {spec!r}: an account id is 12 digits")
        server.inject(
            service or "guardduty", None, "ThrottlingException", account_id=account, times=None
        )
        print(
            f"aws_emulator throttles every {service or 'guardduty'} call of {account}", flush=True
        )
    print(f"aws_emulator serving {args.seed} world on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
