"""Incident and maintenance files.

Takes incident Markdown and samples; gives `Incident` values and the probe's changes to the files.
"""
