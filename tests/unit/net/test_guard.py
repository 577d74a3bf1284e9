"""The guard's address policy and URL syntax rules, as tables (no sockets, no DNS)."""

from __future__ import annotations

import pytest

from bot.errors import BlockedHostError
from bot.net.guard import check_url, is_public_address

PUBLIC_ADDRESSES = [
    "93.184.216.34",
    "1.1.1.1",
    "2606:2800:220:1:248:1893:25c8:1946",
    "::ffff:93.184.216.34",  # IPv4-mapped form of a public address
    "2a00:1450:4001:82b::200e",  # global unicast (2000::/3), outside every special block
]

NON_PUBLIC_ADDRESSES = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.1.1",  # carrier-grade NAT: not is_private, still not public
    "0.0.0.0",
    "192.0.0.8",  # IETF protocol space, is_global on Python 3.11
    "198.18.0.1",
    "224.0.0.1",
    "239.255.255.250",  # multicast, is_global on Python 3.11
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::7f00:1",  # deprecated IPv4-compatible loopback, is_global on Python 3.11
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1, is_global on Python 3.11
    "64:ff9b:1::a00:1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1, is_global on Python 3.11
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "fec0::1",  # deprecated site-local, is_global on Python 3.11
    "3fff::1",  # documentation (RFC 9637), is_global on Python 3.11
    "2001:db8::1",  # documentation
    "2001:2::1",  # benchmarking, inside 2001::/23
    "2001:20::1",  # ORCHIDv2, inside 2001::/23
    "4000::1",  # outside 2000::/3: not assigned for unicast
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd00:ec2::254",  # IPv6 cloud metadata
    "ff02::1",
    "not-an-address",
]


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_address_allowed_when_public(address: str) -> None:
    assert is_public_address(address) is True


@pytest.mark.parametrize("address", NON_PUBLIC_ADDRESSES)
def test_address_refused_when_not_public(address: str) -> None:
    assert is_public_address(address) is False


@pytest.mark.parametrize(
    "url",
    [
        "https://mastodon.social/@alice/1",
        "https://Mastodon.Social./@alice/1",
        "https://mastodon.social:443/@alice/1",
        "https://bücher.example/@a/1",
        "https://1.1.1.1/@a/1",
        "https://[2606:4700:4700::1111]/@a/1",
    ],
)
def test_url_allowed_when_public_https(url: str) -> None:
    check_url(url, allow_private_hosts=False)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://mastodon.social/@a/1", "mastodon.social"),
        ("https://mastodon.social:8443/@a/1", "mastodon.social"),
        ("https://alice:secret@mastodon.social/@a/1", "mastodon.social"),
        ("ftp://mastodon.social/@a/1", "mastodon.social"),
        ("https://127.0.0.1/@a/1", "127.0.0.1"),
        ("https://0.0.0.0/@a/1", "0.0.0.0"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://100.64.0.1/@a/1", "100.64.0.1"),
        ("https://[::1]/@a/1", "::1"),
        ("https://[::ffff:127.0.0.1]/@a/1", "::ffff:127.0.0.1"),
        ("https://[::ffff:7f00:1]/@a/1", "::ffff:7f00:1"),
        ("https://[64:ff9b::7f00:1]/@a/1", "64:ff9b::7f00:1"),
        ("https://[2002:7f00:1::]/@a/1", "2002:7f00:1::"),
        ("https://[fe80::1]/@a/1", "fe80::1"),
        ("https://[ff02::1]/@a/1", "ff02::1"),
        ("https://2130706433/@a/1", "2130706433"),  # decimal 127.0.0.1
        ("https://0x7f000001/@a/1", "0x7f000001"),  # hex
        ("https://0x7f.0.0.1/@a/1", "0x7f.0.0.1"),  # hex first octet
        ("https://127.1/@a/1", "127.1"),  # short form
        ("https://localhost/@a/1", "localhost"),
        ("https://localhost./@a/1", "localhost."),
        ("https://metadata.google.internal/@a/1", "metadata.google.internal"),
        ("https://printer.local/@a/1", "printer.local"),
        ("https://app.localhost/@a/1", "app.localhost"),
        ("https://router.home.arpa/@a/1", "router.home.arpa"),
        ("https://intranet/@a/1", "intranet"),  # single label
        ("https://a..example/@a/1", "a..example"),
        ("https://-bad.example/@a/1", "-bad.example"),
    ],
)
def test_url_refused_when_not_public_https(url: str, host: str) -> None:
    with pytest.raises(BlockedHostError) as caught:
        check_url(url, allow_private_hosts=False)
    assert caught.value.host == host


def test_url_refused_when_ipv4_is_octal() -> None:
    """httpx refuses `0177.0.0.1` itself; the guard must still answer BlockedHostError."""
    with pytest.raises(BlockedHostError):
        check_url("https://0177.0.0.1/@a/1", allow_private_hosts=False)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/@a/1", "http://localhost/@a/1", "https://10.0.0.5:3000/@a/1"],
)
def test_url_allowed_when_private_hosts_allowed(url: str) -> None:
    check_url(url, allow_private_hosts=True)


def test_url_scheme_refused_even_when_private_hosts_allowed() -> None:
    with pytest.raises(BlockedHostError):
        check_url("file:///etc/passwd", allow_private_hosts=True)
