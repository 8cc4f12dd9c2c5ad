"""Menus, prompts and wait announcements: what callers hear."""
