"""One module per delivery channel (email, webpush, apprise, webhook), each exposing a
`Transport` (base.py). The dispatcher picks one by the channel's `type`."""
