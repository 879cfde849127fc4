"""Import: Habitus JSON, Loop Habit Tracker (SQLite backup, CSV zip), HabitBull CSV."""
