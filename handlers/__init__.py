"""What people do, one module per action. Transport-free: plain inputs in, models changed,
outgoing messages queued in the outbox, a reply text out."""
