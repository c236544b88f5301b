"""`upwatch build`: the static site from status.yml, the samples and the incident files.

The recipe itself (read samples and incidents -> status -> pages -> files) is the site stage's
`build`; this command only picks the output folder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..config.read import Config
from ..site import build as site


def build(config: Config, out: Path | None, now: datetime) -> Path:
    """Build the site into `out` (default: site/ beside the config); return the folder."""
    target = out or config.site_dir
    site.build(config, target, now)
    return target
