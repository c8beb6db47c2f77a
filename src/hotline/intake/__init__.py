"""The front door (一号受理): a request is stored first, then screened and routed (flows.py), in the
request or by a job of the queue (jobs.py)."""
