"""Reminders and notifications (DOMAIN D9, DESIGN "Background work"): channels, reminders,
the in-app inbox, and the delivery ledger the dispatcher works through."""
