"""Reads status.yml into frozen values.

Takes the config file; gives `Config` (or every problem at once) and the secrets masker.
"""

from .read import Config, Defaults, Expect, Masker, Monitor, Publish, Site, load_config
from .secrets import resolve_secrets

__all__ = [
    "Config",
    "Defaults",
    "Expect",
    "Masker",
    "Monitor",
    "Publish",
    "Site",
    "load_config",
    "resolve_secrets",
]
