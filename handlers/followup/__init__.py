"""handlers.followup."""
