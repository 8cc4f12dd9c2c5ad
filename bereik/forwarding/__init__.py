"""Absence forwarding: a colleague's calls go to a colleague or their mobile for a while."""
