"""Habits, their schedules, entries (check-ins), streaks, scores and today."""
