"""Feeds added from a chat may not reach a private IPv4 host through an IPv6 address that embeds it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

import pytest

from bot.adapters.feeds import FeedError, check_public_address

PRIVATE = ["127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254"]
PUBLIC = ["8.8.8.8", "93.184.216.34"]


def _v6(value: int) -> str:
    return str(IPv6Address(value))


def nat64(v4: IPv4Address) -> str:  # RFC 6052 well-known prefix
    return _v6(0x0064FF9B << 96 | int(v4))


def nat64_local_96(v4: IPv4Address) -> str:  # RFC 8215 local prefix, used as a /96
    return _v6(0x0064FF9B0001 << 80 | int(v4))


def nat64_local_48(v4: IPv4Address) -> str:  # the same, used as a /48: the address split around "u"
    high, low = int(v4) >> 16, int(v4) & 0xFFFF
    return _v6(0x0064FF9B0001 << 80 | high << 64 | low << 40)


def nat64_local_64(v4: IPv4Address) -> str:
    return _v6(0x0064FF9B0001 << 80 | int(v4) << 24)


def sixtofour(v4: IPv4Address) -> str:
    return _v6(0x2002 << 112 | int(v4) << 80 | 1)


def teredo_client(v4: IPv4Address) -> str:
    server = int(IPv4Address("65.54.227.120"))
    return _v6(0x20010000 << 96 | server << 64 | 0x8000 << 48 | 0x63BF << 32 | (int(v4) ^ 0xFFFFFFFF))


def teredo_server(v4: IPv4Address) -> str:
    client = int(IPv4Address("8.8.8.8")) ^ 0xFFFFFFFF
    return _v6(0x20010000 << 96 | int(v4) << 64 | client)


def compatible(v4: IPv4Address) -> str:  # deprecated ::a.b.c.d
    return _v6(int(v4))


def mapped(v4: IPv4Address) -> str:
    return _v6(0xFFFF << 32 | int(v4))


FORMS: dict[str, Callable[[IPv4Address], str]] = {
    "NAT64 64:ff9b::/96": nat64,
    "NAT64 64:ff9b:1::/48 as /96": nat64_local_96,
    "NAT64 64:ff9b:1::/48 as /48": nat64_local_48,
    "NAT64 64:ff9b:1::/48 as /64": nat64_local_64,
    "6to4": sixtofour,
    "Teredo client": teredo_client,
    "Teredo server": teredo_server,
    "IPv4-compatible": compatible,
    "IPv4-mapped": mapped,
}


def check(address: str) -> None:
    asyncio.run(check_public_address(f"http://[{address}]/feed"))


@pytest.mark.parametrize("v4", PRIVATE)
@pytest.mark.parametrize("form", FORMS)
def test_an_ipv6_address_embedding_a_private_ipv4_is_refused(form: str, v4: str):
    address = FORMS[form](IPv4Address(v4))
    with pytest.raises(FeedError, match="local or private network"):
        check(address)


# Teredo (2001::/32) is not globally reachable whatever it embeds (IANA's special-purpose
# registry), so it is never public; nor is a local-use NAT64 address whose IPv4 part could
# be read, at another prefix length, as a private one.
PASSING = [form for form in FORMS if not form.startswith(("Teredo", "NAT64 64:ff9b:1::/48 as /48"))]


@pytest.mark.parametrize("v4", PUBLIC)
@pytest.mark.parametrize("form", PASSING)
def test_an_ipv6_address_embedding_a_public_ipv4_is_accepted(form: str, v4: str):
    check(FORMS[form](IPv4Address(v4)))


@pytest.mark.parametrize("address", ["2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "93.184.216.34"])
def test_plain_public_addresses_are_accepted(address: str):
    asyncio.run(check_public_address(f"http://{address if '.' in address else f'[{address}]'}/feed"))


@pytest.mark.parametrize("address", ["::1", "::", "fe80::1", "fc00::1", "2001:db8::1", "ff02::1"])
def test_private_ipv6_addresses_are_refused(address: str):
    with pytest.raises(FeedError):
        check(address)


def test_the_forms_embed_what_they_claim():
    """The table's addresses, checked against the standard library's own decoding."""
    v4 = IPv4Address("10.0.0.1")
    assert IPv6Address(sixtofour(v4)).sixtofour == v4
    assert IPv6Address(teredo_client(v4)).teredo == (IPv4Address("65.54.227.120"), v4)
    assert IPv6Address(teredo_server(v4)).teredo == (v4, IPv4Address("8.8.8.8"))
    assert IPv6Address(mapped(v4)).ipv4_mapped == v4
    assert nat64(v4) == "64:ff9b::a00:1"
    assert nat64_local_48(v4) == "64:ff9b:1:a00:0:100::"
