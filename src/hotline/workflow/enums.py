"""Enumerations of workflow's own records: extension requests (延期), merge suggestions (并单)."""

from enum import StrEnum


class ExtensionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"


class DuplicateStatus(StrEnum):
    open = "open"  # waiting for a person
    merged = "merged"
    dismissed = "dismissed"
