"""`upwatch check`: validate status.yml, the templates, every incident file and data/.

A data file no reader takes is an error; a line the readers skip is a warning, since the
page still builds without it. So is a `${NAME}` this environment does not set: check runs
where the secrets are not (a laptop, a pull request), but the probe needs them. Every
problem is reported at once.
"""

from __future__ import annotations

import logging

from .. import incidents, store
from ..config.read import Config, unset_warnings
from ..errors import IncidentError, Problem, UpwatchError
from ..site import html as render

log = logging.getLogger("upwatch")


def check(config: Config) -> int:
    """Raise UpwatchError listing every problem; return how many incident files are valid."""
    for warning in unset_warnings(config.monitors, config.path):
        log.warning("%s", warning)
    problems: list[Problem] = render.template_problems(config)
    count = 0
    try:
        count = incidents.check(config)
    except IncidentError as exc:
        problems.extend(exc.problems)
    unread, skipped = store.check_data(config.data_dir)
    for warning in skipped:
        log.warning("%s", store.log_text(warning))
    if problems or unread:
        raise UpwatchError(problems + unread)
    return count


def valid_text(config_path: object, monitors: int, incident_files: int) -> str:
    """What a passing check says: "status.yml: 1 monitor and 2 incident files are valid"."""
    return f"{config_path}: {plural(monitors, 'monitor')} and {plural(incident_files, 'incident file')} are valid"


def plural(n: int, noun: str) -> str:
    """A count with its noun: "1 monitor", "3 monitors"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
