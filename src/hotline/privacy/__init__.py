"""Personal data: encryption at rest, blind indexes, redaction of what the public is shown, and the
rotation of their keys (flows.py). What the public may see at all is hotline.publication."""
