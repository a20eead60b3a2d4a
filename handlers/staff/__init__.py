"""Staff accounts: passwords, sessions and tokens, what each role may do, and the audit trail."""
