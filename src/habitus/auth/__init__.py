"""Accounts, sign-in, tokens and sessions."""
