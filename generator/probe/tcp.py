"""One attempt at a tcp monitor: connect to host:port, directly (never through a proxy)."""

from __future__ import annotations

import contextlib

from ..config.read import Monitor
from .connect import open_stream
from .turns import Clock, Slots, endpoint
from .verdict import Result, timed


async def check_tcp(
    monitor: Monitor, slots: Slots | None = None, clock: Clock | None = None
) -> Result:
    """Connect to host:port (one attempt, no deadline of its own)."""
    clock = clock or Clock()
    async with (slots or Slots()).take(endpoint(monitor), clock):
        _reader, writer = await open_stream(monitor.host, monitor.port, None)
        ms = clock.ms
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return timed(monitor, ms)
