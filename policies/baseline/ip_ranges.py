"""API server authorized IP ranges judged by the address space they open, never by how they are written.

"Never 0.0.0.0/0" checked as text lets `0.0.0.0/1` + `128.0.0.0/1`, `::/0` or forty public /8s through. Here a
list is parsed (a canonical CIDR grammar, so nothing is read two ways), collapsed into its union per family
(`ipaddress.collapse_addresses`), and measured as the number of *public* addresses that union opens. The spec
(components/spec/checks.py) and rule AKS-005 judge with this module, and the tests hold the Azure Policy export
(which cannot add ranges up) to it. Standard library only: the CrossGuard pack is published on its own.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The CIDR text AKS documents ("IP ranges are specified in CIDR format, e.g. 137.117.106.88/29": the
# ManagedClusterAPIServerAccessProfile.authorizedIPRanges reference on learn.microsoft.com), or a bare address,
# which AKS stores as a /32 (Azure/AKS#4085: `--api-server-authorized-ip-ranges x.x.x.x` reads back as
# "x.x.x.x/32"). ipaddress alone also takes netmask suffixes (1.2.3.4/255.0.0.0), zero-padded prefixes (/08) and
# IPv6 scope ids (%eth0); nothing documents that Azure reads those the same way, so they are refused rather than
# guessed. Leading zeros in IPv4 octets are refused by ipaddress itself (Python >= 3.9.5).
_CIDR_TEXT = re.compile(r"[0-9A-Fa-f:.]+(?:/(?:0|[1-9][0-9]{0,2}))?")

# Addresses no client on the Internet can connect from: the blocks the IANA special-purpose registries mark
# "Globally Reachable: False" (iana.org/assignments/iana-ipv4-special-registry and iana-ipv6-special-registry,
# the registries Python's ipaddress `is_global` follows). Registry entries that hold a globally reachable
# sub-block (192.0.0.0/24 holds 192.0.0.9/32, 2001::/23 holds several) are left out, as are small ones: anything
# not listed counts as public, so an omission can only make the measure stricter, never laxer.
NOT_PUBLIC: dict[int, tuple[Network, ...]] = {
    4: tuple(
        ipaddress.IPv4Network(n)
        for n in (
            "0.0.0.0/8",  # "this network"; holds 0.0.0.0/32, AKS's "only the cluster's outbound IP"
            "10.0.0.0/8",
            "100.64.0.0/10",  # shared address space (carrier-grade NAT)
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/29",
            "192.0.2.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "240.0.0.0/4",  # reserved, holds 255.255.255.255/32
        )
    ),
    6: tuple(
        ipaddress.IPv6Network(n)
        for n in ("::/128", "::1/128", "::ffff:0:0/96", "2001:db8::/32", "fc00::/7", "fe80::/10")
    ),
}
_BITS = {4: 32, 6: 128}
FAMILY = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True)
class Entry:
    """One element of an authorized-ranges list, as written and as read."""

    index: int
    text: str
    network: Network | None  # None: not a range this module reads (see `problem`)
    problem: str = ""
    host_bits: bool = False  # "137.117.106.90/29": read as the whole /29, the wider meaning


def parse(index: int, value: object) -> Entry:
    if not isinstance(value, str):
        return Entry(index, repr(value), None, f"expected a CIDR string, found {type(value).__name__}")
    if not _CIDR_TEXT.fullmatch(value):
        return Entry(index, value, None, "not a CIDR")
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return Entry(index, value, None, "not a CIDR")
    try:
        ipaddress.ip_network(value)
    except ValueError:
        return Entry(index, value, network, host_bits=True)
    return Entry(index, value, network)


def collapse(networks: Iterable[Network]) -> dict[int, tuple[Network, ...]]:
    """The union per family, as the fewest disjoint networks (collapse_addresses refuses mixed families)."""
    by_family: dict[int, list[Network]] = {4: [], 6: []}
    for network in networks:
        by_family[network.version].append(network)
    return {v: tuple(ipaddress.collapse_addresses(nets)) for v, nets in by_family.items()}  # type: ignore[type-var]


def public_addresses(union: Iterable[Network], version: int) -> int:
    """How many public addresses a union opens. `union` must be disjoint (collapse() output)."""
    total = 0
    for network in union:
        total += network.num_addresses
        for block in NOT_PUBLIC[version]:
            # Two CIDR blocks are nested or disjoint, so their overlap is the smaller one or nothing.
            if block.subnet_of(network):  # type: ignore[arg-type]
                total -= block.num_addresses
            elif network.subnet_of(block):  # type: ignore[arg-type]
                total -= network.num_addresses
    return total


@cache
def whole_internet(version: int) -> int:
    """Every public address of a family."""
    return public_addresses([ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")], version)


@dataclass(frozen=True)
class Exposure:
    """What a list of ranges opens: entries as read, the union per family and its public size."""

    entries: tuple[Entry, ...]
    union: Mapping[int, tuple[Network, ...]] = field(default_factory=dict)

    @property
    def unreadable(self) -> list[Entry]:
        return [e for e in self.entries if e.network is None]

    def public(self, version: int) -> int:
        return public_addresses(self.union.get(version, ()), version)

    def opens_whole_internet(self, version: int) -> bool:
        return self.public(version) == whole_internet(version)


def measure(values: Sequence[object]) -> Exposure:
    entries = tuple(parse(i, v) for i, v in enumerate(values))
    return Exposure(entries, collapse(e.network for e in entries if e.network is not None))


def widest_allowed(version: int, prefix: int) -> int:
    """The public addresses a /prefix holds: the threshold `widestIPv4Prefix`/`widestIPv6Prefix` stand for."""
    return 2 ** (_BITS[version] - prefix)


def too_wide(exposure: Exposure, widest_prefix: Mapping[int, int]) -> list[str]:
    """One line per family whose union opens the whole Internet or more public space than a /widest_prefix."""
    lines = []
    for version in (4, 6):
        opened = exposure.public(version)
        family = FAMILY[version]
        if opened and exposure.opens_whole_internet(version):
            lines.append(f"together they open the API server to every public {family} address: the whole Internet")
        elif opened > widest_allowed(version, widest_prefix[version]):
            limit = widest_prefix[version]
            lines.append(
                f"together they open {opened:,} public {family} addresses, more than a /{limit} "
                f"({widest_allowed(version, limit):,})"
            )
    return lines
