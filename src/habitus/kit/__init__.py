"""Small shared tools: clock, pagination, idempotency, rate limits, CSRF, templating."""
