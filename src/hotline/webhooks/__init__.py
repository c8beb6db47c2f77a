"""Webhooks: subscribers get signed (HMAC-SHA256) JSON for ticket events, retried with backoff, with a
delivery log and replay. Deliveries are made from the append-only event log, so every event is seen
once per subscriber, including those written in bulk by the background sweeps."""
