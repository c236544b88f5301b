"""A fixture repository for site tests: three monitors, two days of samples, incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from generator.store.days import Sample, append_samples

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOSTILE = '<img src=x onerror="alert(1)">Evil & Co'

CONFIG = """\
site:
  title: Acme Status
  timezone: Europe/Berlin
{extra}
monitors:
  - id: api
    name: Public API
    group: Core
    url: https://api.example.invalid/health
  - id: evil
    name: '{hostile}'
    description: '<b>bold</b> claims'
    url: https://evil.example.invalid/
  - id: db
    name: Database
    group: Core
    type: tcp
    host: db.example.invalid
    port: 5432
"""

OUTAGE = """\
---
title: API <em>outage</em>
status: resolved
severity: major
monitors: [api]
started: 2026-11-22T10:00:00Z
resolved: 2026-11-22T11:30:00Z
---
Requests failed. <script>alert("story")</script>

[docs](javascript:alert(1)) and ![chart](https://tracker.example.invalid/p.png)

## Updates

### 2026-11-22 11:30 UTC — Resolved

Fixed <b>for good</b>.

### 2026-11-22 10:05 UTC — Investigating

Looking into it.
"""

UPGRADE = """\
---
title: Database upgrade
type: maintenance
monitors: [db]
start: 2026-11-23T02:00:00Z
end: 2026-11-23T04:00:00Z
---
Planned upgrade.
"""

NEXT = """\
---
title: Network work
type: maintenance
monitors: [api]
start: 2026-11-30T02:00:00Z
end: 2026-11-30T03:00:00Z
---
Planned.
"""


def write_repo(root: Path, extra: str = "") -> Path:
    """A repo with three monitors, two days of samples, an incident and two maintenances."""
    config = root / "status.yml"
    config.write_text(CONFIG.format(extra=extra, hostile=HOSTILE), encoding="utf-8")
    (root / "incidents").mkdir()
    (root / "incidents/2026-11-22-api-outage.md").write_text(OUTAGE, encoding="utf-8")
    (root / "incidents/2026-11-23-database-upgrade.md").write_text(UPGRADE, encoding="utf-8")
    (root / "incidents/2026-11-30-network-work.md").write_text(NEXT, encoding="utf-8")
    samples = []
    for minutes in range(0, 24 * 60 * 2, 30):  # Nov 21 12:00 .. Nov 23 11:30, every 30 min
        t = NOW - timedelta(days=2) + timedelta(minutes=minutes)
        samples.append(Sample(t, "api", "ci", "down" if t.hour == 10 else "up", 100, 200))
        # The database is down only inside its maintenance window (02:00-04:00 on Nov 23).
        in_window = t.date() == NOW.date() and 2 <= t.hour < 4
        samples.append(Sample(t, "db", "ci", "down" if in_window else "up", 5, None))
    samples.append(Sample(NOW, "evil", "ci", "degraded", 2500, 200, '<script>x</script> "slow"'))
    append_samples(root / "data", samples)
    return config
