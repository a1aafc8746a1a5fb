"""Webhook targets: IPv6 forms that embed an IPv4 address are judged by that IPv4 address."""

from __future__ import annotations

import pytest

from webhooks.targets import TargetRefused, target_resolve

EMBEDDING_PRIVATE = [
    "::127.0.0.1",  # IPv4-compatible (deprecated ::/96)
    "::10.0.0.1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:0:127.0.0.1",  # SIIT IPv4-translated
    "::ffff:0:169.254.169.254",
    "64:ff9b::127.0.0.1",  # NAT64 well-known prefix
    "64:ff9b::a9fe:a9fe",  # ... 169.254.169.254, the instance metadata service
    "64:ff9b:1::7f00:1",  # NAT64 local-use prefix
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:a00:1:8000:63bf:3fff:fdd2",  # Teredo, server 10.0.0.1
]


@pytest.fixture
def public_only(settings):
    settings.WATCHPOST_WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
def test_ipv6_embedding_a_private_ipv4_is_refused(public_only, address):
    with pytest.raises(TargetRefused, match="private"):
        target_resolve(f"https://[{address}]/hook")


@pytest.mark.parametrize(
    "address", ["64:ff9b::808:808", "2002:808:808::1", "2606:4700:4700::1111", "8.8.8.8"]
)
def test_public_addresses_stay_allowed(public_only, address):
    host = f"[{address}]" if ":" in address else address
    assert target_resolve(f"https://{host}/hook") == address


@pytest.mark.parametrize("address", ["::", "::1", "::0.0.0.0"])
def test_unspecified_and_loopback_ipv6_are_refused(public_only, address):
    with pytest.raises(TargetRefused):
        target_resolve(f"https://[{address}]/hook")
