"""`upwatch serve`: build, serve on 127.0.0.1, rebuild when a source file changes."""

from __future__ import annotations

from ..config.read import Config
from ..site import build as site


def serve(config: Config, port: int) -> None:
    """Serve the config's site on 127.0.0.1:port until Ctrl-C."""
    site.serve(config, port)
