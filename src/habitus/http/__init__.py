"""The HTTP boundary every feature shares: the request's session and context, the
transaction around each route, idempotency keys, middleware and error answers. Below the
features (none of them is imported here), above `db`, `models`, `errors` and `kit`."""
