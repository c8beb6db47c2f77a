"""Enumerations of webhook deliveries."""

from enum import StrEnum


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its first or next attempt
    sending = "sending"  # claimed by a worker
    delivered = "delivered"
    failed = "failed"  # every attempt spent
