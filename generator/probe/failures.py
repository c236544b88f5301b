"""The transport's failures that a reason depends on, as types, so nobody reads their text.

httpx.RemoteProtocolError
 +-- ClosedWithoutResponse   the connection closed before a response head
 +-- BodyCut                 it closed before the announced body had all arrived
 +-- NoFinalResponse         1xx answers, then nothing final
 +-- InvalidLocation         a redirect's Location is no URL (httpx's own parse failed)
httpx.ProxyError
 +-- TunnelRefused           the proxy answered CONNECT with an error status (`code`)
"""

from __future__ import annotations

import httpx

__all__ = [
    "BodyCut",
    "ClosedWithoutResponse",
    "InvalidLocation",
    "NoFinalResponse",
    "TunnelRefused",
]


class ClosedWithoutResponse(httpx.RemoteProtocolError):
    """The server closed the connection before it sent a response head."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


class BodyCut(httpx.RemoteProtocolError):
    """The server closed the connection before the body it announced had all arrived."""


class NoFinalResponse(httpx.RemoteProtocolError):
    """The server sent interim (1xx) answers, then closed or sent too many, but no response."""

    def __init__(self) -> None:
        super().__init__("1xx answer without a final response")


class InvalidLocation(httpx.RemoteProtocolError):
    """A redirect whose Location header is not a URL (httpx parses it as it hands it over)."""

    def __init__(self) -> None:
        super().__init__("Invalid URL in location header")


class TunnelRefused(httpx.ProxyError):
    """The proxy refused to open a tunnel, answering with HTTP status `code`."""

    def __init__(self, code: int) -> None:
        super().__init__(f"proxy refused the tunnel (HTTP {code})")
        self.code = code
