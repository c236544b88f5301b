"""One attempt at an http(s) monitor: request, follow redirects, read the body, judge it.

    check_http(monitor, client, masker, slots, clock) -> Result (no deadline of its own)
    follow(request, response, masker) -> the next request of a redirect chain
    read_capped(response, cap) -> the body up to the cap, and whether it was cut

Cookies live in a jar of one attempt's redirect chain; credentials and secret bodies stay
with the origin they were written for.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import cast

import httpx

from ..config.read import Masker, Monitor
from .failures import InvalidLocation
from .turns import DEFAULT_PORTS, Clock, Slots, endpoint_of
from .verdict import Result, down, judge

BODY_CAP = 1 << 20  # bytes read at most; expectations are judged on what was read
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}


class NotFollowed(Exception):
    """A redirect the probe will not follow: the check ends with a down Result."""

    def __init__(self, reason: str, code: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


async def check_http(
    monitor: Monitor,
    client: httpx.AsyncClient,
    masker: Masker | None = None,
    slots: Slots | None = None,
    clock: Clock | None = None,
) -> Result:
    """Request the URL, follow redirects, read the body up to the cap and judge it.

    Cookies live in a jar of this attempt alone: a cookie one hop sets goes to the next hop
    when its domain and path allow (as in a browser), and to nothing after the attempt.
    """
    masker = masker or Masker()
    slots, clock = slots or Slots(), clock or Clock()
    request = first_request(client, monitor)
    jar = httpx.Cookies()
    for _hop in range(monitor.max_redirects + 1):
        async with slots.take(endpoint_of(request.url), clock):
            response = await send(client, with_cookies(request, jar))
            try:
                if "set-cookie" in response.headers:
                    jar.extract_cookies(response)
                if not (monitor.max_redirects and is_redirect(response)):
                    return await judged(monitor, response, clock, masker)
            finally:
                await response.aclose()
        request = follow(request, response, masker)
        clock.hop = request.url
    return down("redirect", f"too many redirects ({monitor.max_redirects})", clock.ms)


async def judged(
    monitor: Monitor, response: httpx.Response, clock: Clock, masker: Masker
) -> Result:
    """Read the body (none for HEAD) and judge the answer."""
    body, cut = (b"", False) if response.request.method == "HEAD" else await read_capped(response)
    expires = peer_cert_expiry(response)
    return judge(monitor, response, body, clock.ms, expires, masker, cut=cut)


def first_request(client: httpx.AsyncClient, monitor: Monitor) -> httpx.Request:
    """The monitor's request with the client's default headers, but never its cookies."""
    headers = httpx.Headers(client.headers)
    # Values go out as UTF-8, as servers decode them (httpx would take ASCII only).
    headers.update({name.encode(): value.encode() for name, value in monitor.headers})
    return httpx.Request(
        monitor.method,
        monitor.url,
        headers=headers,
        content=monitor.body,
        extensions={"timeout": httpx.Timeout(monitor.timeout).as_dict()},
    )


def with_cookies(request: httpx.Request, jar: httpx.Cookies) -> httpx.Request:
    """The request as sent: with the cookies of this redirect chain that apply to it."""
    if not jar:
        return request
    sent = httpx.Request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.content or None,
        extensions=request.extensions,
    )
    jar.set_cookie_header(sent)
    return sent


def is_redirect(response: httpx.Response) -> bool:
    # A redirect status without a Location header is judged like any other answer.
    return response.is_redirect and "location" in response.headers


def follow(request: httpx.Request, response: httpx.Response, masker: Masker) -> httpx.Request:
    """The request a redirect asks for, as browsers make it; NotFollowed when it must not be."""
    url = redirect_target(response)
    method, content = request.method, request.content
    if (response.status_code == 303 and method != "HEAD") or (
        response.status_code in (301, 302) and method == "POST"
    ):
        method, content = "GET", b""
    headers = httpx.Headers(request.headers)
    headers.pop("host", None)
    if not content:
        headers.pop("content-length", None)
    if (url.scheme, *endpoint_of(url)) != (request.url.scheme, *endpoint_of(request.url)):
        # Credentials stay with the origin they were written for, and so does a secret body.
        text = content.decode("utf-8", "replace")
        if masker(text) != text:
            raise NotFollowed(
                "redirect to another origin: not followed with a secret body",
                response.status_code,
            )
        for name, value in list(headers.items()):
            if name.lower() in CREDENTIAL_HEADERS or masker(value) != value:
                del headers[name]
    return httpx.Request(
        method, url, headers=headers, content=content or None, extensions=request.extensions
    )


def redirect_target(response: httpx.Response) -> httpx.URL:
    """Where a redirect points, if it points anywhere a request can go."""
    location = response.headers["location"].strip()
    code = response.status_code
    if not location:
        raise NotFollowed("redirect without a target", code)
    try:
        url = response.url.join(location)
    except httpx.InvalidURL:
        raise NotFollowed("redirect to an invalid URL", code) from None
    if url.scheme in DEFAULT_PORTS and not url.host:
        raise NotFollowed("redirect to an invalid URL", code)
    if url.port is not None and not 0 < url.port < 65536:
        raise NotFollowed(f"redirect to an invalid port ({url.port})", code)
    return url


async def read_capped(response: httpx.Response, cap: int = BODY_CAP) -> tuple[bytes, bool]:
    """The body up to `cap` bytes (decoded), reading no further, and whether it was cut."""
    chunks: list[bytes] = []
    size = 0
    chunks_of = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
    async with contextlib.aclosing(chunks_of) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:  # at exactly the cap, one more read tells whether the body ends
                break
    return b"".join(chunks)[:cap], size > cap


def peer_cert_expiry(response: httpx.Response) -> datetime | None:
    """When the server's certificate expires (https only), read from the live connection."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    parsed = ssl_object.getpeercert()
    if parsed and "notAfter" in parsed:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(parsed["notAfter"]), UTC)
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    # Without verification the ssl module parses nothing: read the DER ourselves.
    from cryptography import x509

    return x509.load_der_x509_certificate(der).not_valid_after_utc


async def send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """client.send, streaming; a Location httpx itself cannot parse is an InvalidLocation."""
    try:
        return await client.send(request, stream=True)
    except httpx.RemoteProtocolError as exc:
        # httpx parses Location as it hands a redirect over, even unasked, and raises
        # RemoteProtocolError from the InvalidURL it met (its context, not its cause).
        if isinstance(exc.__context__, httpx.InvalidURL):
            raise InvalidLocation() from exc
        raise
