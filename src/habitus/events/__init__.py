"""The domain event log (models.Event): what happened, in order, for later consumers."""
