"""Identity: accounts, passwords, lockout, login sessions, second factor, API tokens."""
