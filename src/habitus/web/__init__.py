"""Server-rendered pages that belong to no single feature (home, API docs)."""
