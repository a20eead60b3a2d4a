"""A resident's message becomes a case or joins one: inbound bookkeeping, the report, details
added later, duplicates, held messages, limits and the content check."""
