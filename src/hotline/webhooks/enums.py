"""Enumerations of webhook deliveries."""

from enum import StrEnum

from hotline import outbox


class DeliveryStatus(StrEnum):
    pending = outbox.PENDING  # waiting for its first or next attempt
    sending = outbox.SENDING  # claimed by a worker
    delivered = "delivered"
    failed = outbox.FAILED  # every attempt spent
