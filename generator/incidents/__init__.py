"""Incident and maintenance files, and the probe's automation over them.

Takes incidents/*.md, samples and the config; gives Incident values, checked files, new files
and the auto incidents opened or resolved. model, text (the file format), validate, folder
(read and write), outages (streak math), automation (update).
"""

from .automation import update
from .folder import check, in_maintenance, load, maintenance_windows, new, write
from .model import Change, Incident, Update
from .text import patch, render
from .validate import parse, read

__all__ = [
    "Change",
    "Incident",
    "Update",
    "check",
    "in_maintenance",
    "load",
    "maintenance_windows",
    "new",
    "parse",
    "patch",
    "read",
    "render",
    "update",
    "write",
]
