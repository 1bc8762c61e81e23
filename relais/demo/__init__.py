"""Demonstration data: loaded only on an empty, non-production database, removable exactly."""
