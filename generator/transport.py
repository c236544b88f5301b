"""The HTTP client the probe shares between all its checks.

httpcore's connection pool scans every connection each time a request starts or ends, so one
pool of 200 connections spends more time on bookkeeping than on requests (1,000 checks took
over 20 s). `SpreadTransport` keeps the one `httpx.AsyncClient` the checks share, but
spreads requests over many small pools, each taking the next request while it has the least
in flight: the same connections and keep-alive, without the quadratic scan.
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
from collections.abc import AsyncIterator, Callable, Iterator

import httpx

from . import __version__
from .config import Masker

USER_AGENT = f"upwatch/{__version__} (status page probe)"
PER_POOL = 4  # connections per small pool
LIBRARY_LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.proxy")


def make_client(concurrency: int = 200, verify: bool | ssl.SSLContext = True) -> httpx.AsyncClient:
    """An AsyncClient for `concurrency` checks in flight, keeping connections alive."""
    return httpx.AsyncClient(
        transport=SpreadTransport(concurrency, verify),
        timeout=httpx.Timeout(10.0),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class SpreadTransport(httpx.AsyncBaseTransport):
    """Many small connection pools behind one transport; the least busy takes a request."""

    def __init__(self, concurrency: int, verify: bool | ssl.SSLContext = True) -> None:
        count = max(1, math.ceil(concurrency / PER_POOL))
        size = math.ceil(concurrency / count)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        # One SSL context for all pools: loading the CA bundle costs ~20 ms each time.
        context = httpx.create_ssl_context(verify) if isinstance(verify, bool) else verify
        self.pools = [httpx.AsyncHTTPTransport(verify=context, limits=limits) for _ in range(count)]
        self.busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self.pools)), key=self.busy.__getitem__)
        self.busy[index] += 1
        try:
            response = await self.pools[index].handle_async_request(request)
        except BaseException:
            self.busy[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Counted(response.stream, lambda: self._release(index))
        return response

    def _release(self, index: int) -> None:
        self.busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool, once, when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, on_close: Callable[[], None]) -> None:
        self.stream = stream
        self.on_close: Callable[[], None] | None = on_close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.stream:
            yield chunk

    async def aclose(self) -> None:
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            on_close()
        await self.stream.aclose()


class _MaskFilter(logging.Filter):
    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.masker(record.getMessage()), None
        return True


@contextlib.contextmanager
def masked_library_logs(masker: Masker) -> Iterator[None]:
    """httpx logs request URLs (at INFO): mask secrets there while checks run."""
    if not masker:
        yield
        return
    mask = _MaskFilter(masker)
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    for logger in loggers:
        logger.addFilter(mask)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(mask)
