"""Client addresses as the throttles count them (pure: the caller reads the address)."""

from __future__ import annotations

import ipaddress


def client_network(address: str) -> str:
    """Who a request comes from, for throttles: the client's IPv4 address, or its IPv6 /64 (one
    subscriber's network holds 2^64 addresses: counted apart, each would get its own guesses)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # an IPv4 client of a dual-stack server
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
