"""Personal data: encryption at rest, blind indexes, redaction of what the public is shown."""
