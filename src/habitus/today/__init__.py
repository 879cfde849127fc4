"""Today: what is due today, as a page."""
