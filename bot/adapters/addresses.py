"""Whether an IP address is public: one a feed added from a chat may be fetched from.

An IPv6 address can lead to an IPv4 host (IPv4-mapped and -compatible addresses, NAT64,
6to4, Teredo), and the standard library calls some of those global even when the IPv4
host is 127.0.0.1 or 169.254.169.254: the IPv4 addresses they carry must be public too.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_public"]

_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: a local /48 to /96 prefix
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d


def _nat64_local_candidates(value: int) -> list[int]:
    """The IPv4 addresses an address of 64:ff9b:1::/48 may carry: where RFC 6052 puts it
    depends on the prefix length the network chose (48, 56, 64 or 96 bits), so every
    position whose suffix bits are zero, as the RFC requires, is a candidate."""

    def bits(start: int, length: int) -> int:  # *length* bits from bit *start* (0 = leftmost)
        return (value >> (128 - start - length)) & ((1 << length) - 1)

    candidates = [bits(96, 32)]
    if bits(64, 8) == 0:  # the "u" octet, zero in every longer format
        if bits(104, 24) == 0:
            candidates.append(bits(72, 32))  # /64
        if bits(96, 32) == 0:
            candidates.append(bits(56, 8) << 24 | bits(72, 24))  # /56
        if bits(88, 40) == 0:
            candidates.append(bits(48, 16) << 16 | bits(72, 16))  # /48
    return candidates


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped and -compatible, NAT64,
    6to4 and Teredo (its server and its client) all reach an IPv4 host."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client), the client's bits already un-inverted
    if ip in _NAT64_WELL_KNOWN or ip in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    elif ip in _NAT64_LOCAL:
        found.extend(map(ipaddress.IPv4Address, _nat64_local_candidates(int(ip))))
    return found


def is_public(address: str) -> bool:
    """Whether *address* is a public one, and so is every IPv4 address it embeds."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if not all(v4.is_global and not v4.is_multicast for v4 in embedded):
            return False
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is only ever its IPv4 address
            return True
    return ip.is_global and not ip.is_multicast
