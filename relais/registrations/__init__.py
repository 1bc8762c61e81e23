"""Registrations, the waiting list and its promotion."""
