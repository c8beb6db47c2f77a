"""Publication (公开): which requests the public may see, redacted, and what the public does with them."""
