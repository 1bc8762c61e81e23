"""Alembic migrations of the core and of every plugin, in one linear history."""
