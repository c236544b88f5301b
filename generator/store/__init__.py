"""Keeps samples on disk.

Takes samples; gives day files, rollups and per-day tallies read back from them.
"""
