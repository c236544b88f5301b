"""upwatch: a status page that lives in a git repository."""

__version__ = "0.1.0"
