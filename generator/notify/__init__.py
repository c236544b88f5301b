"""Tells people through apprise when an incident opens, changes or resolves, exactly once.

Takes the incidents a landed commit changed and the config's `notify` channels; gives the
messages sent, and the small delivery state kept in the repository.
"""
