"""Reliability figures: failure kinds, downtime, MTTR, MTTD, MTBF, SLOs and monthly reports.

Takes per-day tallies, samples and incidents; gives pure figures per monitor and window.
"""
