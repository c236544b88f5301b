"""Builds the static site.

Takes config, tallies and incidents; gives pages, JSON, feeds and badges in a folder.
"""
