"""Satisfaction survey: a 1–5 rating and an optional comment per person and session."""
