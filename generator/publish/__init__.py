"""Record a probe run in git: one commit per run, pushed with fetch, re-apply and retry.

Takes a run's samples and its apply step; gives one commit (pushed when asked) and the
incident changes. commit (record, push), locks (stale git locks), message (commit message),
land (for notify: the incident files a range of commits changed; landing the sent log).

A refused push is never force-pushed and never rebased textually. The run moves onto the
fetched branch and applies its result again: its samples are appended to the fetched day
files and its incident decisions are taken again from the fetched samples and incident
files, so racing runs keep at most one open auto incident per monitor and a person's
pushed edits survive.

What a commit holds is decided from the files, not from what this run did, so the work of a
run killed before its commit is committed by the next one (`publishable`): every changed
file under data/ (people never edit it), and an incident file exactly as the probe writes
it. A person's uncommitted work in the tree is neither committed nor lost. A lock file that
a killed git run left is removed when it is older than this run and no git process works
in the repository; otherwise the run stops with one line naming it.
"""

from .commit import Landed, publishable, record, record_landed
from .land import FileChange, Range, incident_changes, land
from .message import commit_message

__all__ = [
    "FileChange",
    "Landed",
    "Range",
    "commit_message",
    "incident_changes",
    "land",
    "publishable",
    "record",
    "record_landed",
]
