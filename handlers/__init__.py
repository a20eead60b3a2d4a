"""What people do, grouped by domain, one module per action. Transport-free: plain inputs in,
models changed, outgoing messages queued in the outbox. The root keeps the small shared pieces
(clock, context, timeline, outbox, notify, places, case numbers)."""
