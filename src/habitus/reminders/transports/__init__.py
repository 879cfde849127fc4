"""One module per delivery channel (email, webpush, apprise, webhook), each exposing a
`Transport` (base.py) that takes its type's config model. `reminders.channel_types` names
each type's transport; the dispatcher imports it on first use."""
