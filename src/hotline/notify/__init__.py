"""Notifications: templated messages (Chinese first) sent through channel plugins — in-app, SMS over an
HTTP gateway, email over SMTP — recorded with their status and retried; a failed channel never blocks
the workflow because sending happens in the background sweep, not in the request."""
