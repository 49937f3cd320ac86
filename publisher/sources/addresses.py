"""Which addresses a server driven by strangers may connect to, checked where it connects.

`hf-tweetbot web` fetches what its visitors name: a Mastodon instance, the avatar it lists, the
redirects and next pages it answers with. Left alone, a visitor could make it reach the machine's
own services or its cloud's metadata address. Inside `guarded(policy)`, every request sent through
`GuardedTransport` (the live sources' `Api` and `http.client` use it there) resolves its host
once, refuses loopback, private, link-local, shared (CGNAT), multicast, unspecified and reserved
addresses, in IPv4, IPv6 and IPv4 carried inside IPv6, unless the policy allows their network,
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

SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
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


def kind_of(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address ("loopback", "private", ...), or None when it is one."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        why = kind_of(inner)
        return f"{why} (IPv4 inside IPv6)" if why else None
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip in SHARED:
        return "shared (carrier-grade NAT)"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


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
