"""Guarantee 3: wishes, their neutral verification, and exchange lists that cannot hold
the wrong person."""
