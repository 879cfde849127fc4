"""Plans (issue 21): free and pro, the free plan's limits, and optional Stripe billing."""
