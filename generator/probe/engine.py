"""The probe's entry points, under the name callers have used (the code lives beside it).

run.py        select, run, check, summary_lines: the run as a whole
http.py       one attempt at an http(s) monitor: redirects, cookies, the capped body
tcp.py        one attempt at a tcp monitor
turns.py      per-host turns, the attempt's clock and the worst-case bound
verdict.py    judging a response, explaining a failure
transport.py  the shared client (h11 pool); connect.py, proxies.py, failures.py under it
"""

from __future__ import annotations

from .http import check_http
from .run import check, parse_shard, run, select, shard_of, summary_lines
from .tcp import check_tcp
from .verdict import Result

__all__ = [
    "Result",
    "check",
    "check_http",
    "check_tcp",
    "parse_shard",
    "run",
    "select",
    "shard_of",
    "summary_lines",
]
