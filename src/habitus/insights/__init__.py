"""Insights: the habit page and the History month."""
