"""The demo switch: `python -m aws_emulator --throttle ACCOUNT` (DEMO_THROTTLE_ACCOUNT in
scripts/demo.sh) makes AWS throttle one account, so a newcomer sees how a failure looks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.faults.conftest import ROOT, wait_for

PORT = 8731  # this suite's port range


def test_the_throttle_switch_throttles_that_account_only(tmp_path: Path) -> None:
    log = (tmp_path / "emulator.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aws_emulator",
            "--port",
            str(PORT),
            "--seed",
            "demo",
            "--throttle",
            "111111111111",
            "--throttle",
            "333333333333:macie2",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: "serving" in (tmp_path / "emulator.log").read_text(),
            timeout=60,
            what="the emulator to serve",
        )
        hub = boto3.client(
            "guardduty",
            endpoint_url=f"http://127.0.0.1:{PORT}",
            region_name="us-east-1",
            aws_access_key_id="demo",
            aws_secret_access_key="demo",
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
        with pytest.raises(ClientError, match="ThrottlingException"):
            hub.list_detectors()
        text = (tmp_path / "emulator.log").read_text()
        assert "throttles every guardduty call of 111111111111" in text
        assert "throttles every macie2 call of 333333333333" in text
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_a_malformed_throttle_switch_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aws_emulator", "--port", str(PORT + 1), "--throttle", "<b>x</b>"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "an account id is 12 digits" in done.stderr
    assert "DEMO_THROTTLE_ACCOUNT" in (ROOT / "scripts" / "demo.sh").read_text()
