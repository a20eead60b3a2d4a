"""handlers.workflow.actions."""
