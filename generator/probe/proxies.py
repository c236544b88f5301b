"""Proxies for http(s) monitors, read from the environment as curl reads them.

ProxySettings.from_environment() -> which proxy (if any) each URL goes through
bypassed(host, port, no_proxy) -> whether NO_PROXY sends host:port direct
Proxied(transport) -> httpx's own transport to a proxy (CONNECT tunnels, socks5 too),
                      raising the failures of failures.py by type
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass

import httpx

from ..errors import ConfigError, Problem
from .failures import BodyCut, ClosedWithoutResponse, TunnelRefused


@dataclass(frozen=True)
class ProxySettings:
    """The proxies the environment names for http(s) monitors, read as curl and httpx read them.

    `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http ones,
    `all_proxy`/`ALL_PROXY` for both when those are unset, the lower-case name first;
    `no_proxy`/`NO_PROXY` lists what goes direct (see `bypassed`). tcp monitors always
    connect directly: they test that the port answers from where the probe runs.
    """

    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ProxySettings:
        env = os.environ if environ is None else environ
        every = _proxy_url(env, "all_proxy")
        no_proxy = _variable(env, "no_proxy")[1] or ""
        return cls(
            http=_proxy_url(env, "http_proxy") or every,
            https=_proxy_url(env, "https_proxy") or every,
            no_proxy=tuple(e.strip().lower() for e in no_proxy.split(",") if e.strip()),
        )

    def proxy_for(self, url: httpx.URL) -> str | None:
        """The proxy URL a request to url goes through, or None to connect directly."""
        proxy = self.https if url.scheme == "https" else self.http if url.scheme == "http" else None
        if proxy is None:
            return None
        port = url.port or (443 if url.scheme == "https" else 80)
        return None if bypassed(url.raw_host.decode("ascii"), port, self.no_proxy) else proxy


def _variable(env: Mapping[str, str], name: str) -> tuple[str, str | None]:
    """The lower-case variable when it is set, else the upper-case one: (name, value)."""
    if name in env:
        return name, env[name]
    return name.upper(), env.get(name.upper())


def _proxy_url(env: Mapping[str, str], name: str) -> str | None:
    """A proxy variable's URL (http:// when it names none), checked; None when unset."""
    found, value = _variable(env, name)
    if not value:
        return None
    url = value if "://" in value else f"http://{value}"
    try:
        parsed = httpx.Proxy(url).url
        if not parsed.host or not 0 < (parsed.port or 80) < 65536:
            raise ValueError("no host or no port")
    except (ValueError, httpx.InvalidURL):
        # Never quote the value: a proxy URL may hold a password.
        message = "not a proxy URL such as http://proxy:3128 (http, https, socks5 or socks5h)"
        raise ConfigError([Problem(found, None, message)]) from None
    return url


def bypassed(host: str, port: int, no_proxy: Iterable[str]) -> bool:
    """Whether NO_PROXY sends host:port direct, by curl's rules.

    `*` is every host; `example.com` (or `.example.com`, `*.example.com`) is that domain
    and every name below it; an IP address or a CIDR range matches addresses written as
    such in the URL (names are not resolved for this); any entry may end in `:port`.
    """
    host = host.lower().rstrip(".")
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in no_proxy:
        if entry == "*":
            return True
        name, only_port = _split_port(entry)
        if only_port is not None and only_port != port:
            continue
        if ip is not None:
            with contextlib.suppress(ValueError):
                if ip in ipaddress.ip_network(name, strict=False):
                    return True
            continue
        domain = name.lstrip("*").strip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """'host:80' -> ('host', 80); '[::1]:80' -> ('::1', 80); '::1' and 'host' have no port."""
    if entry.startswith("["):
        name, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
    elif entry.count(":") == 1:
        name, _, port = entry.partition(":")
    else:
        name, port = entry, ""
    return name, int(port) if port.isdigit() else None


# --- requests through a proxy ---------------------------------------------------------------


class Proxied(httpx.AsyncBaseTransport):
    """httpx's own transport to a proxy, raising its errors of failures.py as those types."""

    def __init__(self, inner: httpx.AsyncHTTPTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _typed_errors():
            response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=TypedBody(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class TypedBody(httpx.AsyncByteStream):
    """A proxied response's body, its errors typed as they come."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self.inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _typed_errors():
            async for chunk in self.inner:
                yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextlib.contextmanager
def _typed_errors() -> Iterator[None]:
    """httpcore's closed-connection and tunnel errors as our types.

    httpcore (and h11 under it) tells these apart only in words, so this is the one place
    that reads an error's text; everything past it goes by type.
    """
    try:
        yield
    except httpx.RemoteProtocolError as exc:
        text = str(exc)
        if text.startswith("Server disconnected without sending a response"):
            raise ClosedWithoutResponse() from exc
        if "without sending complete message body" in text:
            raise BodyCut(text) from exc
        raise
    except httpx.ProxyError as exc:
        code = str(exc)[:3]  # httpcore says "407 Proxy Authentication Required"
        if code.isdigit():
            raise TunnelRefused(int(code)) from exc
        raise
