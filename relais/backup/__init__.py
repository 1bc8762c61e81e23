"""Backups: a consistent copy of the database (and of the settings file) and its restore."""
