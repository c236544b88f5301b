"""Brings a status page from another tool into upwatch (Upptime first).

Takes a clone of the other tool's repository; gives status.yml, history and incidents.
"""
