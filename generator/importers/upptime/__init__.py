"""Upptime: its .upptimerc.yml, the git history of history/<slug>.yml, and its status issues.

rcfile (the config mapped), slug, history (one git pass), timeline (records -> spans),
issues (exported issues -> incident files), plan (all of it, before anything is written).
"""

from .plan import IMPORTED_FILE, Plan, plan

__all__ = ["IMPORTED_FILE", "Plan", "plan"]
