"""The shared HTTP base every router stands on: the request's session and principal, the error format, middleware, client addresses, rate limits, HTTP metrics."""
