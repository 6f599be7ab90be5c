"""Disclosure tests: what the database gives away to someone without the keys."""
