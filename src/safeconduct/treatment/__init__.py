"""Humane treatment as duties: treatment events, and the state of each GC III duty they meet."""
