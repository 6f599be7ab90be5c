"""Guarantee 2 in one place: who may open which sealed value, for what, and the log of it."""
