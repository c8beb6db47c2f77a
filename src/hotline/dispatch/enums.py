"""Enumerations of dispatch."""

from enum import StrEnum


class Decision(StrEnum):
    """What happens to a request after its suggestion."""

    auto = "auto"  # dispatched by the system (confident, a channel that allows it)
    triage = "triage"  # a person decides (the triage queue)
    emergency = "emergency"  # handed off by a person to 110/119/120/122; never auto-dispatched
    manual = "manual"  # dispatched by a person without a suggestion
