"""Presence and the directory: who can take a call now, and if not, until when and who stands in.

Pure cores (merge, phone reducer, directory index) with thin shells around them
(LDAP, AMI, Microsoft Graph, SQLite, HTTP). Reads at call time come from memory only.
"""
