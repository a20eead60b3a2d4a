"""APScheduler setup and the fixed-id sweep jobs."""
