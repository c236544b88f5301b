"""Shared pytest set-up.

tests/ has no __init__.py: pytest puts this folder on sys.path, so test modules anywhere
below it import the helpers beside this file as `from localserver import ...`,
`from quality import ...` and `from helpers import sample, utc` (times and samples).
"""
