"""Demo data: a fictional city (明湖市), its departments, users and tickets in every state."""
