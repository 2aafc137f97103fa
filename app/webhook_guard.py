"""Where webhooks may be sent (SPEC §14): `http(s)` URLs whose addresses are public, unless
CUSTOMTABLES_WEBHOOK_ALLOW_PRIVATE allows private, loopback and link-local ones.

A name is checked when the webhook is made, and again at every attempt: the host is resolved,
each address checked, and the request connects to the checked address itself (the URL carries
the IP; `Host` and TLS SNI carry the name), so a name that later resolves elsewhere (DNS
rebinding) cannot steer a delivery into the private network. Redirects are never followed.

A lookup is bounded in time too: the system resolver may wait many seconds on a name whose
servers do not answer (a tenant can choose such a name), so it runs on a thread of its own and
the caller stops waiting at its deadline; a lookup left running holds that thread, never an
attempt's thread, its lease or a request. Callers wanting the same name share one lookup, and a
tenant has at most LOOKUPS_PER_TENANT names being looked up at once: past that its next name is
refused at once (a delivery is retried), so one tenant's unanswering names cannot delay another
tenant's lookups.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections import Counter
from concurrent.futures import Future
from concurrent.futures import TimeoutError as LookupTimedOut
from dataclasses import dataclass
from typing import Any

import httpx

from ddl.errors import ValidationError

MAX_URL = 2048
LOOKUP_SECONDS = 5.0  # the longest a name's lookup is waited for
LOOKUPS_PER_TENANT = 2  # names of one tenant being looked up at once
LOOKUPS_IN_ALL = 64  # names being looked up at once, every tenant's
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(ValidationError):
    """A webhook URL or address that may not be called (400 when a client gives it)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the address to connect to."""

    url: httpx.URL
    address: IpAddress

    def connect_url(self) -> httpx.URL:
        """The URL with the checked address in place of the name."""
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return self.url.copy_with(host=host)

    @property
    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.url.scheme]
        port = self.url.port
        return self.url.host if port in (None, default) else f"{self.url.host}:{port}"


def check_url(text: str) -> httpx.URL:
    """The URL parsed, or a 400 saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_URL:
        raise RefusedTarget(f"Url must be an http or https URL of at most {MAX_URL} characters")
    try:
        url = httpx.URL(text.strip())
        host = url.host  # decoded on access: an A-label such as 'xn--' raises here (IDNAError)
    except (httpx.InvalidURL, ValueError, TypeError):  # IDNAError is a ValueError
        raise RefusedTarget("Url is not a valid URL") from None
    if url.scheme not in ("http", "https") or not host:
        raise RefusedTarget("Url must be an http or https URL with a host")
    if url.userinfo:
        raise RefusedTarget("Url must not carry a user name or password")
    return url


# IPv6 forms that carry an IPv4 address in their last 32 bits (IPv4-compatible, SIIT's
# IPv4-translated, NAT64's well-known prefix): a host or gateway that translates them reaches
# that IPv4 address, so it is the one judged. Python 3.11 calls them (and the deprecated
# site-local fec0::/10, and NAT64's local-use prefix, whose embedding varies) global.
_CARRY_IPV4 = tuple(map(ipaddress.IPv6Network, ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")))
_NEVER_PUBLIC = tuple(map(ipaddress.IPv6Network, ("fec0::/10", "64:ff9b:1::/48")))


def _as_judged(address: IpAddress) -> IpAddress | None:
    """The address whose reach decides (an embedded IPv4 one), None when never public."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if any(address in network for network in _NEVER_PUBLIC):
        return None
    embedded = address.ipv4_mapped or address.sixtofour
    if embedded is None and any(address in network for network in _CARRY_IPV4):
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return embedded or address


def is_public(address: IpAddress) -> bool:
    """True for an address on the public internet (not private, loopback, link-local,
    multicast, reserved or unspecified; an IPv6 form that embeds an IPv4 address (mapped,
    compatible, translated, 6to4, NAT64) is judged by that IPv4 address)."""
    judged = _as_judged(address)
    return judged is not None and judged.is_global and not judged.is_multicast


Found = list[tuple[Any, ...]]
_lookups_lock = threading.Lock()
_lookups: dict[tuple[str, int], Future[Found]] = {}  # running, shared by all who want the name
_lookups_of: Counter[str] = Counter()  # running lookups each tenant started


def _lookup(host: str, port: int, owner: str) -> Future[Found]:
    """The running lookup of (host, port), started on a daemon thread if none is."""
    key = (host, port)
    with _lookups_lock:
        running = _lookups.get(key)
        if running is not None:
            return running
        if _lookups_of[owner] >= LOOKUPS_PER_TENANT or len(_lookups) >= LOOKUPS_IN_ALL:
            raise RefusedTarget(
                f"Too many host names are being looked up; '{host}' was not (try again later)"
            )
        future: Future[Found] = Future()
        _lookups[key] = future
        _lookups_of[owner] += 1

    def ended() -> None:
        with _lookups_lock:
            del _lookups[key]
            _lookups_of[owner] -= 1
            if _lookups_of[owner] <= 0:
                del _lookups_of[owner]

    def run() -> None:
        try:
            future.set_result(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as error:  # noqa: BLE001 (handed to the waiting callers)
            future.set_exception(error)
        finally:
            ended()

    try:
        threading.Thread(target=run, name="webhook-dns", daemon=True).start()
    except RuntimeError:  # no thread to be had (the interpreter is stopping, or at its limit)
        ended()
        future.set_exception(OSError("no lookup thread"))
    return future


def _numeric(host: str, port: int) -> Found | None:
    """An address written as such needs no lookup (and no thread)."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None


def _addresses(url: httpx.URL, within: float, owner: str) -> list[IpAddress]:
    port = url.port or (443 if url.scheme == "https" else 80)
    found = _numeric(url.host, port)
    if found is None:
        try:
            found = _lookup(url.host, port, owner).result(timeout=max(0.0, within))
        except LookupTimedOut:
            raise RefusedTarget(
                f"The host of Url '{url.host}' could not be resolved within {within:g} s"
            ) from None
        except (OSError, UnicodeError, RuntimeError):
            raise RefusedTarget(f"The host of Url '{url.host}' cannot be resolved") from None
    addresses: list[IpAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def resolve(
    url: httpx.URL, allow_private: bool, owner: str, within: float = LOOKUP_SECONDS
) -> Target:
    """The address to connect to; every address the name has must be allowed. The name's
    lookup, counted to `owner` (a tenant's id), is waited for `within` seconds at most."""
    addresses = _addresses(url, within, owner)
    if not addresses:
        raise RefusedTarget(f"The host of Url '{url.host}' cannot be resolved")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise RefusedTarget(
                    f"Url '{url.host}' resolves to {address}, a private, loopback or "
                    "link-local address; webhooks may only call public addresses "
                    "(CUSTOMTABLES_WEBHOOK_ALLOW_PRIVATE=true allows them)"
                )
    return Target(url, addresses[0])


class AttemptTimedOut(Exception):
    """The attempt ran past its whole time limit (its connection was cut)."""


def post(
    client: httpx.Client, target: Target, body: bytes, headers: dict[str, str], limit: float
) -> httpx.Response:
    """POST `body` to the checked address of `target`, the name in `Host` and TLS SNI, within
    `limit` seconds in all. httpx's timeouts bound each read, and a receiver that drips a byte
    now and then would hold the attempt (and its lease) for ever: a watchdog cuts the
    connection at the limit (the client keeps no idle connections, so every attempt's socket
    is a new one the trace hook sees)."""
    sockets: list[socket.socket] = []
    fired = threading.Event()

    def trace(name: str, info: dict[str, Any]) -> None:
        if name == "connection.connect_tcp.complete" and info.get("return_value") is not None:
            found = info["return_value"].get_extra_info("socket")
            if found is not None:
                sockets.append(found)

    def cut() -> None:
        fired.set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    extensions: dict[str, Any] = {"trace": trace}
    if target.url.scheme == "https":
        extensions["sni_hostname"] = target.url.host
    watchdog = threading.Timer(limit, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        return client.post(
            target.connect_url(),
            content=body,
            headers={**headers, "Host": target.host_header},
            extensions=extensions,
        )
    except httpx.HTTPError:
        if fired.is_set():
            raise AttemptTimedOut from None
        raise
    finally:
        watchdog.cancel()
