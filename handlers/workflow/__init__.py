"""A case from dispatch to 办结: routing, tasks pushed to workers, what workers and staff do to a
case, deadlines, the SLA table, escalation, rule editing and the staff's case search."""
