"""Which addresses a server driven by strangers may connect to, checked where it connects.

`hf-tweetbot web` fetches what its visitors name: a Mastodon instance, the avatar it lists, the
redirects and next pages it answers with. Left alone, a visitor could make it reach the machine's
own services or its cloud's metadata address. Inside `guarded(policy)`, every request sent through
`GuardedTransport` (the live sources' `Api` and `http.client` use it there) resolves its host
once, refuses every block of IANA's special-purpose address registries (`SPECIAL`: loopback,
private, link-local, shared, documentation, benchmarking, protocol assignments, ...), multicast
and IPv6 site-local, in IPv4, IPv6 and IPv4 carried inside IPv6, unless the policy allows them,
and connects to the very address it checked, while TLS still checks the certificate of the name:
a DNS answer that changes between the check and the connection changes nothing. Whatever way
the host is spelled (`2130706433`, `0x7f.1`, `127.1`, `localhost`), the check is on the address
the resolver gives. Redirects come back through the same transport, one hop at a time. Outside
`guarded` (the command line) nothing is refused: a test server or a self-hosted instance on a
LAN stays reachable.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import AddressError, UsageError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # an IPv4 address inside IPv6 (RFC 6052)
ALLOW_HINT = (
    "name a server on the internet; to let the creator reach a network of your own, start it "
    "with `hf-tweetbot web --allow-network CIDR` (HF_TWEETBOT_WEB_ALLOW_NETWORKS on a Space)"
)

# Module-level so tests can answer for names of their own instead of asking DNS.
getaddrinfo: Callable[..., list[Any]] = socket.getaddrinfo


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, and the networks in `allow` besides (a LAN of one's own, a test server)."""

    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, networks: Iterable[str]) -> AddressPolicy:
        """A policy allowing `networks` (`10.0.0.0/8`, `192.168.1.20`, `fd00::/8`).

        Raises:
            UsageError: one is not an IP network.
        """
        allow = []
        for text in networks:
            try:
                allow.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise UsageError(
                    f"'{text}' is not an IP network", hint="give one as 10.0.0.0/8 or 192.168.1.20"
                ) from None
        return cls(tuple(allow))

    def allows(self, ip: IPAddress) -> bool:
        """Whether `ip` lies in one of the allowed networks (IPv4 inside IPv6 counts as IPv4)."""
        plain = embedded_ipv4(ip) or ip
        return any(plain in net or ip in net for net in self.allow)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (`::ffff:a.b.c.d`, NAT64, 6to4), else None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


# Every entry of IANA's IPv4 and IPv6 Special-Purpose Address Registries
# (iana.org/assignments/iana-ipv4-special-registry, iana-ipv6-special-registry), whether or not
# the registry calls it globally reachable, and the blocks beside them that are no one's public
# address (multicast, IPv6 site-local). None of them holds a Mastodon instance or an avatar.
# The blocks that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4
# 2002::/16) are judged by the address they carry (`embedded_ipv4`), before this table.
SPECIAL: tuple[tuple[str, str], ...] = (
    # IPv4
    ("0.0.0.0/32", "unspecified"),
    ("0.0.0.0/8", "this-network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignment"),
    ("192.0.0.0/29", "IPv4 service continuity (DS-Lite)"),
    ("192.0.0.8/32", "IPv4 dummy"),
    ("192.0.0.9/32", "port control protocol anycast"),
    ("192.0.0.10/32", "TURN anycast"),
    ("192.0.0.170/32", "NAT64/DNS64 discovery"),
    ("192.0.0.171/32", "NAT64/DNS64 discovery"),
    ("192.0.2.0/24", "documentation"),
    ("192.31.196.0/24", "AS112 (DNS sink)"),
    ("192.52.193.0/24", "AMT relay anycast"),
    ("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
    ("192.168.0.0/16", "private"),
    ("192.175.48.0/24", "AS112 (DNS sink)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "reserved"),  # limited broadcast
    # IPv6
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated)"),
    ("64:ff9b:1::/48", "IPv4/IPv6 translation (local use)"),
    ("100::/64", "discard-only"),
    ("100:0:0:1::/64", "IPv6 dummy"),
    ("2001::/23", "IETF protocol assignment"),
    ("2001::/32", "Teredo"),
    ("2001:1::1/128", "port control protocol anycast"),
    ("2001:1::2/128", "TURN anycast"),
    ("2001:1::3/128", "DNS-SD service registration anycast"),
    ("2001:2::/48", "benchmarking"),
    ("2001:3::/32", "AMT"),
    ("2001:4:112::/48", "AS112 (DNS sink)"),
    ("2001:10::/28", "ORCHID (deprecated)"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:30::/28", "drone remote ID"),
    ("2001:db8::/32", "documentation"),
    ("2620:4f:8000::/48", "AS112 (DNS sink)"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing (SRv6)"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)
# Most specific first, so that each address is named by the smallest block holding it.
_SPECIAL = sorted(
    ((ipaddress.ip_network(net), kind) for net, kind in SPECIAL), key=lambda e: -e[0].prefixlen
)


def kind_of(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address ("loopback", "private", ...), or None when it is one."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        why = kind_of(inner)
        return f"{why} (IPv4 inside IPv6)" if why else None
    for net, kind in _SPECIAL:
        if ip in net:
            return kind
    if not ip.is_global:  # whatever Python knows of that the table does not
        return "reserved"
    return None


def url_of(text: str | httpx.URL, base: httpx.URL | None = None) -> httpx.URL:
    """`text` (joined to `base` when given) as a URL, or one line naming its host when httpx
    cannot read it: an IPv4 address spelled with leading zeros (`0177.0.0.1`, `127.000.000.001`),
    which resolvers read as octal or as decimal depending on the system, an empty host, ...

    Raises:
        AddressError: `text` holds a host that no request is sent to.
    """
    try:
        url = base.join(text) if base is not None else httpx.URL(text)
        _check_length(url.host)
        return url
    except (httpx.InvalidURL, UnicodeError) as e:  # UnicodeError: IDNA's label rules
        host = str(text).split("//", 1)[-1].split("/", 1)[0][:80]
        why = " ".join(str(e).split())[:120]
        raise AddressError(
            f"{host}: not a host name or an address that can be reached ({why})",
            hint="give the server's name, or an IPv4 address as four decimal numbers without "
            "leading zeros (198.51.100.7)",
        ) from None


def _check_length(host: str) -> None:
    """DNS's limits (RFC 1035): 253 characters in all, 63 in a label."""
    if len(host) > 253 or any(len(label) > 63 for label in host.split(".")):
        raise UnicodeError("a name over 253 characters, or with a label over 63")


def shown(ip: IPAddress) -> str:
    """`ip` as people write it (`::ffff:127.0.0.1`, not `::ffff:7f00:1`)."""
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return f"::ffff:{mapped}" if mapped else str(ip)


def check(host: str, port: int, policy: AddressPolicy) -> list[IPAddress]:
    """Resolve `host` once and check every address it has.

    Args:
        host: a name or an address, however spelled.
        port: the port, for the resolver.
        policy: which non-public networks are allowed.

    Returns:
        The addresses to connect to, in the resolver's order.

    Raises:
        AddressError: one of them is out of reach (naming the host and the address).
        httpx.ConnectError: the name does not resolve (retried as any connection failure).
    """
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise httpx.ConnectError(f"cannot resolve {host}") from None
    found: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in found:
            found.append(ip)
    for ip in found:
        why = None if policy.allows(ip) else kind_of(ip)
        if why:
            named = "" if host == shown(ip) else f" ({shown(ip)})"
            article = "an" if why[0] in "aeiou" else "a"
            raise AddressError(
                f"refused to reach {host}: {article} {why} address{named}, and this server reaches "
                "public addresses only",
                hint=ALLOW_HINT,
            )
    return found


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks each request's address and connects to the one it checked.

    The request keeps its `Host` header and names the host for TLS (SNI and the certificate);
    only the connection goes to the checked address. A name with several addresses is tried
    address after address, as a resolver-driven connection would.

    Args:
        policy: what may be reached besides public addresses.
        inner: the transport that sends the pinned requests (default: httpx's own).
    """

    def __init__(self, policy: AddressPolicy, inner: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        failure: httpx.ConnectError | None = None
        for ip in check(host, port, self.policy):
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(ip)),
                headers=request.headers,
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                return self.inner.handle_request(pinned)
            except httpx.ConnectError as e:
                failure = e
        assert failure is not None  # `check` returns at least one address
        raise failure

    def close(self) -> None:
        self.inner.close()


_POLICY: ContextVar[AddressPolicy | None] = ContextVar("address_policy", default=None)


@contextlib.contextmanager
def guarded(policy: AddressPolicy) -> Iterator[None]:
    """Within the block (this thread), HTTP clients made by the sources refuse what `policy` does."""
    token = _POLICY.set(policy)
    try:
        yield
    finally:
        _POLICY.reset(token)


def current() -> AddressPolicy | None:
    """The policy of the enclosing `guarded` block, or None (everything reachable)."""
    return _POLICY.get()
