"""Every extension point of the platform, named in one place (as Datasette's hookspecs.py does).

What varies by centre is never a branch in core code. It is one of:

Entry points (Python packages a centre installs beside hotline; `[project.entry-points."<group>"]`):
- `hotline.jobs` — modules declaring timed sweeps and queue tasks (jobs.registry; each domain's jobs.py)
- `hotline.notify_channels` — message channels by name: `in_app`, `sms`, `email` built in; a class
  taking the settings, with `send(recipient=, subject=, body=, key=)` (notify.channels.Channel). A
  centre's package registering `sms` replaces the built-in HTTP gateway.

Data files named by settings (each documented in docs/settings.md):
- HOTLINE_TEXTS — messages to departments and citizens, the follow-up call script, acknowledgements,
  the large model's prompts (hotline.texts)
- HOTLINE_DISPATCH_LEXICON, HOTLINE_JIEBA_USER_DICT — request-type and urgency cues, the centre's words
- HOTLINE_SCREENING_LEXICON, HOTLINE_SCREENING_SITUATIONS, HOTLINE_SCREENING_GUARD — screening
- the routing table (派单目录), SLA rules, the working calendar, the org tree: rows an admin edits

Remote services spoken to over their own protocol: a large model (any OpenAI-compatible endpoint,
HOTLINE_LLM_BASE_URL), an SMS gateway over HTTP, SMTP, a call centre's events over HTTP."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint, entry_points

log = logging.getLogger(__name__)

OWN_DISTRIBUTION = "hotline12345"

JOBS = "hotline.jobs"
NOTIFY_CHANNELS = "hotline.notify_channels"
GROUPS = (JOBS, NOTIFY_CHANNELS)


def points(group: str) -> dict[str, EntryPoint]:
    """The entry points of a group by name; where a centre's package names the same point as hotline
    itself, the centre's wins."""
    chosen: dict[str, EntryPoint] = {}
    for point in sorted(entry_points(group=group), key=lambda p: (_is_own(p), p.name)):
        # hotline's own come last, so they only fill names no other package took
        chosen.setdefault(point.name, point)
    for name, point in chosen.items():
        if not _is_own(point):
            log.info(
                "%s %s comes from %s (%s)", group, name, point.dist.name if point.dist else "?", point.value
            )
    return dict(sorted(chosen.items()))


def _is_own(point: EntryPoint) -> bool:
    return point.dist is None or point.dist.name == OWN_DISTRIBUTION
