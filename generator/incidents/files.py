"""The names callers imported from `generator.incidents.files` before the package split.

New code imports them from `generator.incidents` (the package API); this module only
forwards them until every caller has switched.
"""

from __future__ import annotations

from .automation import update
from .folder import check, in_maintenance, load, maintenance_windows, new, write
from .model import SEVERITIES, STATES, Change, Incident, Update
from .text import render
from .validate import parse, read

__all__ = [
    "SEVERITIES",
    "STATES",
    "Change",
    "Incident",
    "Update",
    "check",
    "in_maintenance",
    "load",
    "maintenance_windows",
    "new",
    "parse",
    "read",
    "render",
    "update",
    "write",
]
