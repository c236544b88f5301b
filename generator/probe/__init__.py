"""Checks endpoints.

Takes monitors; gives one `Result` per monitor (a down result with a reason, never an exception).
"""
