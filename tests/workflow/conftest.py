"""Workflow fixtures: the duplicate tests route through a trained dispatch model."""

from tests.dispatch.conftest import dispatch_ready, model_version, routing_table, sample, trained  # noqa: F401
