"""The address guard of a server driven by strangers: which addresses, however spelled, are out of
reach, and that a refusal comes before any connection.

Every connection here goes to loopback. A refusal is shown against a `Listener` on 127.0.0.1 (or
::1) that records each connection made to it: it must record none. The same URLs, outside the
guard (as the command line runs), do reach it.
"""

from __future__ import annotations

import ipaddress
import socket

import httpx
import pytest

from publisher.errors import AddressError, UsageError
from publisher.sources import addresses, http
from publisher.sources.addresses import AddressPolicy, guarded, kind_of
from testkit.fakes.api_server import Listener, Reply, serve

PUBLIC = AddressPolicy()  # public addresses only: the web creator's default
LOOPBACK_V4 = AddressPolicy.parse(["127.0.0.1/32"])


@pytest.mark.parametrize(
    ("ip", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.20", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("100.127.255.254", "shared (carrier-grade NAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::ffff:127.0.0.1", "loopback (IPv4 inside IPv6)"),
        ("::ffff:169.254.169.254", "link-local (IPv4 inside IPv6)"),
        ("64:ff9b::a00:5", "private (IPv4 inside IPv6)"),
        ("2002:7f00:1::", "loopback (IPv4 inside IPv6)"),
        ("93.184.215.14", None),
        ("2606:4700::6810:84e5", None),
        ("::ffff:93.184.215.14", None),
    ],
)
def test_what_is_out_of_reach(ip, kind):
    assert kind_of(ipaddress.ip_address(ip)) == kind


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f.1", "127.0.0.1"),  # hex, short
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),  # octal
        ("127.1", "127.0.0.1"),  # short
        ("0.0.0.0", "0.0.0.0"),
        ("0", "0.0.0.0"),
        ("::1", "::1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
    ],
)
def test_every_spelling_is_checked_as_the_address_it_resolves_to(host, address):
    with pytest.raises(AddressError) as e:
        addresses.check(host, 80, PUBLIC)
    assert e.value.message.startswith(f"refused to reach {host}: a")
    assert "\n" not in e.value.message and "--allow-network" in (e.value.hint or "")
    if host != address:
        assert f"({address})" in e.value.message


def test_names_are_checked_by_what_they_resolve_to(monkeypatch):
    answers = {
        "metadata.example": ["169.254.169.254"],
        "lan.example": ["10.0.0.5"],
        "mixed.example": ["93.184.215.14", "192.168.0.7"],  # one bad address is enough
        "public.example": ["93.184.215.14", "2606:4700::6810:84e5"],
    }

    def resolver(host, port, *args, **kw):
        fam = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [(fam[ipaddress.ip_address(a).version], socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]]  # fmt: skip

    monkeypatch.setattr(addresses, "getaddrinfo", resolver)
    for host, kind in [("metadata.example", "link-local"), ("lan.example", "private"),
                       ("mixed.example", "private")]:  # fmt: skip
        with pytest.raises(AddressError, match=f"refused to reach {host}: a {kind} address"):
            addresses.check(host, 443, PUBLIC)
    found = addresses.check("public.example", 443, PUBLIC)
    assert [str(ip) for ip in found] == answers["public.example"]
    # localhost, through the machine's own resolver
    monkeypatch.undo()
    with pytest.raises(AddressError, match="refused to reach localhost: a loopback address"):
        addresses.check("localhost", 80, PUBLIC)


def test_the_allow_list_opens_its_networks_only():
    lan = AddressPolicy.parse(["127.0.0.0/8", " 10.1.0.0/16", "fd00::/8"])
    for host in ("127.1", "2130706433", "::ffff:127.0.0.1"):
        assert addresses.check(host, 80, lan)
    with pytest.raises(AddressError, match="loopback"):
        addresses.check("::1", 80, lan)
    with pytest.raises(UsageError, match="'10.0.0.0/33' is not an IP network"):
        AddressPolicy.parse(["10.0.0.0/33"])


FORMS = ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "localhost", "0.0.0.0",
         "[::ffff:127.0.0.1]"]  # fmt: skip


@pytest.mark.parametrize("form", FORMS)
def test_refused_before_any_connection_and_reached_from_the_command_line(form):
    with Listener() as listener:
        url = f"http://{form}:{listener.port}/latest/meta-data/"
        with (
            guarded(PUBLIC),
            http.client() as c,
            pytest.raises(AddressError, match=form.strip("[]")),
        ):
            c.get(url)
        assert listener.connections == []
        with http.client() as c:  # the command line: a local server stays reachable
            assert c.get(url).text == "listener"
        assert len(listener.connections) == 1


def test_ipv6_loopback_is_refused_before_any_connection():
    with Listener("::1") as listener:
        url = f"http://[::1]:{listener.port}/"
        with guarded(LOOPBACK_V4), http.client() as c, pytest.raises(AddressError, match="::1"):
            c.get(url)
        assert listener.connections == []
        with http.client() as c:
            assert c.get(url).text == "listener"


def test_the_connection_goes_to_the_address_checked_with_the_name_kept(monkeypatch):
    """A name that answers 127.0.0.1 to the check and ::1 to any later lookup (DNS rebinding):
    the request reaches the address that was checked, and the name is looked up once."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host, port, *args, **kw):
        if host != "rebind.example":
            return real(host, port, *args, **kw)
        lookups.append(host)
        where = ("127.0.0.1", socket.AF_INET) if len(lookups) == 1 else ("::1", socket.AF_INET6)
        return [(where[1], socket.SOCK_STREAM, 6, "", (where[0], port))]

    monkeypatch.setattr(addresses, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with Listener() as v4, Listener("::1") as v6:
        v6_url = f"http://rebind.example:{v4.port}/"
        with guarded(LOOPBACK_V4), http.client() as c:
            assert c.get(v6_url).text == "listener"
    assert lookups == ["rebind.example"] and v6.connections == []
    assert f"Host: rebind.example:{v4.port}".encode() in v4.connections[0]


def test_each_redirect_is_checked_before_it_is_followed():
    with serve() as api, Listener("::1") as inside, Listener() as v4:
        api.add("/a", Reply(status=302, headers={"Location": f"http://[::1]:{inside.port}/x"}))
        api.add("/b", Reply(status=302, headers={"Location": f"http://0.0.0.0:{v4.port}/x"}))
        with guarded(LOOPBACK_V4), http.client() as c:
            with pytest.raises(AddressError, match=r"refused to reach ::1: a loopback address"):
                c.get(f"{api.url}/a")
            with pytest.raises(AddressError, match=r"refused to reach 0\.0\.0\.0: an unspecified"):
                c.get(f"{api.url}/b")
        assert inside.connections == [] and v4.connections == []
        assert [r.path for r in api.requests] == ["/a", "/b"]  # the allowed hop was made


def test_an_answer_over_the_size_cap_is_refused(monkeypatch):
    from publisher.errors import FetchError
    from publisher.sources import limits

    monkeypatch.setattr(limits, "MAX_RESPONSE_BYTES", 1000)
    with serve() as api:
        api.add("/big", Reply("x" * 5000))
        api.add("/small", Reply({"ok": True}))
        with http.client() as c:
            with pytest.raises(FetchError, match="sent more than 0 MB for one answer"):
                http.read_capped(c, f"{api.url}/big")
            assert http.read_capped(c, f"{api.url}/small").json() == {"ok": True}


def test_a_transport_error_stays_an_httpx_error_for_the_retries(monkeypatch):
    def unresolvable(host, port, *args, **kw):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(addresses, "getaddrinfo", unresolvable)
    with guarded(PUBLIC), http.client() as c, pytest.raises(httpx.ConnectError, match="resolve"):
        c.get("http://nowhere.example/")


def test_tls_still_names_the_host_while_the_connection_is_pinned(monkeypatch):
    """What the pinned request carries to httpx's connection layer (a mock: nothing is sent)."""
    seen: list[httpx.Request] = []

    def resolver(host, port, *args, **kw):
        assert host == "public.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    monkeypatch.setattr(addresses, "getaddrinfo", resolver)
    with guarded(PUBLIC), http.client(transport=httpx.MockTransport(answer)) as c:
        response = c.get("https://public.example/api/v1/instance")
    [pinned] = seen
    assert str(pinned.url) == "https://93.184.215.14/api/v1/instance"
    assert pinned.headers["host"] == "public.example"
    assert pinned.extensions["sni_hostname"] == "public.example"  # SNI and certificate check
    assert str(response.url) == "https://public.example/api/v1/instance"  # callers see the name


# --- IANA's special-purpose registries, block by block --------------------------------------------

CARRIERS = {"::ffff:0:0/96": "::ffff:127.0.0.1", "64:ff9b::/96": "64:ff9b::a9fe:a9fe",
            "2002::/16": "2002:c0a8:101::"}  # fmt: skip


@pytest.mark.parametrize(
    ("block", "kind"), addresses.SPECIAL, ids=[b for b, _ in addresses.SPECIAL]
)
def test_every_special_purpose_block_is_refused_first_to_last(block, kind):
    net = ipaddress.ip_network(block)
    inner = [b for b, _ in addresses.SPECIAL if b != block and ipaddress.ip_network(b).version == net.version and ipaddress.ip_network(b).subnet_of(net)]  # fmt: skip
    for ip in (net[0], net[-1]):
        named = kind_of(ip)
        assert named is not None, ip
        if not any(ip in ipaddress.ip_network(b) for b in inner):  # else the smaller block names it
            assert named == kind, ip
        with pytest.raises(AddressError, match=f"refused to reach {ip}: an? "):
            addresses.check(str(ip), 443, PUBLIC)


@pytest.mark.parametrize(("block", "inside"), CARRIERS.items())
def test_the_blocks_carrying_ipv4_are_judged_by_the_address_they_carry(block, inside):
    assert ipaddress.ip_address(inside) in ipaddress.ip_network(block)
    assert kind_of(ipaddress.ip_address(inside)).endswith("(IPv4 inside IPv6)")
    public = ipaddress.ip_network(block)[0] + int(ipaddress.ip_address("93.184.215.14")) * (
        1 if block != "2002::/16" else 1 << 80
    )
    assert kind_of(public) is None, public


@pytest.mark.parametrize(
    ("ip", "kind"),
    [("fec0::1", "site-local (deprecated)"), ("192.0.0.8", "IPv4 dummy"),
     ("192.88.99.1", "6to4 relay anycast (deprecated)"), ("100.64.0.1", "shared (carrier-grade NAT)"),
     ("198.19.255.255", "benchmarking"), ("2001:db8::1", "documentation"),
     ("64:ff9b:1::1", "IPv4/IPv6 translation (local use)"), ("192.0.0.9", "port control protocol anycast"),
     ("2001:4:112::1", "AS112 (DNS sink)"), ("5f00::1", "segment routing (SRv6)")],
)  # fmt: skip
def test_blocks_python_calls_global_are_refused_too(ip, kind):
    assert kind_of(ipaddress.ip_address(ip)) == kind
    with pytest.raises(AddressError, match=f"refused to reach {ip}: an? "):
        addresses.check(ip, 443, PUBLIC)


# --- host spellings no request can be sent to: one line, exit 2 -----------------------------------

BAD_SPELLINGS = ["0177.0.0.1", "127.000.000.001", "127.0.0.01", "010.0.0.1"]


@pytest.mark.parametrize("host", BAD_SPELLINGS)
def test_a_mastodon_host_spelled_with_leading_zeros_is_one_line(host, capsys, tmp_path, tiny_model):
    from publisher import cli

    code = cli.main(["prepare", f"mastodon:@x@{host}", "--out", str(tmp_path / "bot"),
                     "--base-model", str(tiny_model)])  # fmt: skip
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("Error: ")]
    assert code == 2 and "Traceback" not in err and "report it" not in err, err
    assert len(errors) == 1 and f"{host}: not a host name or an address" in errors[0], err


@pytest.mark.parametrize(
    "host", ["a" * 300 + ".com", ".".join(["a" * 63] * 40), "a" * 64 + ".social"]
)
def test_a_host_longer_than_dns_allows_is_one_line(host, capsys, tmp_path, tiny_model):
    from publisher import cli

    code = cli.main(["prepare", f"mastodon:@x@{host}", "--out", str(tmp_path / "bot"),
                     "--base-model", str(tiny_model)])  # fmt: skip
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("Error: ")]
    assert code == 2 and "Traceback" not in err and "report it" not in err, err
    assert len(errors) == 1 and "not a host name or an address" in errors[0], err
    assert "label over 63" in errors[0] and "File name too long" not in err


@pytest.mark.parametrize("source", ["bsky:wren.bsky.social", "x:wren"])
def test_an_api_address_spelled_with_leading_zeros_is_one_line(
    source, monkeypatch, capsys, tmp_path, tiny_model
):
    from publisher import cli
    from publisher.sources import bluesky, x_api

    monkeypatch.setenv(bluesky.URL_ENV, "https://0177.0.0.1")
    monkeypatch.setenv(x_api.URL_ENV, "https://127.000.000.001")
    monkeypatch.setenv("X_BEARER_TOKEN", "t")
    code = cli.main(["prepare", source, "--out", str(tmp_path / "bot"), "--base-model", str(tiny_model)])  # fmt: skip
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("Error: ")]
    assert code == 2 and "Traceback" not in err and "report it" not in err, err
    assert len(errors) == 1 and "not a host name or an address" in errors[0], err


def test_a_next_page_or_an_avatar_on_a_host_spelled_badly_is_one_line():
    with pytest.raises(AddressError, match="0177.0.0.1: not a host name"):
        addresses.url_of("https://0177.0.0.1/next", httpx.URL("https://mastodon.example/"))
    with http.client() as c, pytest.raises(AddressError, match="not a host name"):
        http.read_capped(c, "https://127.000.000.001/avatar.png")
