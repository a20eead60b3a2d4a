"""Residents themselves: who writes, their sessions in the mini-program, the cases they submit and
what they may see of them, their photos, their own queries, withdrawals and consents, and their
questions to the knowledge base."""
