"""The large-model tier: an OpenAI-compatible chat client with timeouts, retries and a token budget."""
