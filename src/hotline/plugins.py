"""Every extension point of the platform, named in one place (as Datasette's hookspecs.py does).

What varies by centre is never a branch in core code. It is one of:

Entry points (Python packages a centre installs beside hotline, declaring `[project.entry-points."<group>"]`;
hotline's own are BUILT_IN below):
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


# hotline's own, named here rather than read from installed metadata, so they are there however the
# package was installed (or run from a checkout); a centre's package adds to or replaces them
BUILT_IN: dict[str, dict[str, str]] = {
    JOBS: {
        "intake": "hotline.intake.jobs",
        "supervision": "hotline.supervision.jobs",
        "followup": "hotline.followup.jobs",
        "analytics": "hotline.analytics.jobs",
        "notify": "hotline.notify.jobs",
        "webhooks": "hotline.webhooks.jobs",
        "dispatch": "hotline.dispatch.jobs",
        "kb": "hotline.kb.jobs",
    },
    NOTIFY_CHANNELS: {
        "in_app": "hotline.notify.channels:InAppChannel",
        "sms": "hotline.notify.channels:SmsHttpChannel",
        "email": "hotline.notify.channels:SmtpChannel",
    },
}


def points(group: str) -> dict[str, EntryPoint]:
    """The extension points of a group by name: hotline's own, with those of the entry points other
    installed packages declare in the group added or, under the same name, put in their place."""
    chosen = {name: EntryPoint(name, value, group) for name, value in BUILT_IN[group].items()}
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        if point.dist is not None and point.dist.name == OWN_DISTRIBUTION:
            continue
        log.info(
            "%s %s comes from %s (%s)", group, point.name, point.dist.name if point.dist else "?", point.value
        )
        chosen[point.name] = point
    return dict(sorted(chosen.items()))
