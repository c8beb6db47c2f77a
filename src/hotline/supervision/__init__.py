"""Supervision (智能监督/督办): the deadline watch — warnings, overdue marks, reminders (催办) and
escalation, each fired exactly once — and supervision cases opened by dispatchers and leaders."""
