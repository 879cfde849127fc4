"""Export: entries as CSV, completed days and schedules as iCalendar, a private calendar feed."""
