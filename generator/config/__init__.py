"""Reads status.yml into frozen values.

Takes the config file; gives `Config` (or every problem at once) and the secrets masker.
"""
