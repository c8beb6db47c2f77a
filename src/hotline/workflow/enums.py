"""Enumerations of extension requests (延期)."""

from enum import StrEnum


class ExtensionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"
