"""Linking people to their accounts: one-time WeChat links (QR scene or chat code) for workers
and staff, and WeCom userids matched from the WeCom address book."""
