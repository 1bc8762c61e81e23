"""Signing in to the coordinators' back office: mailed links and browser sessions."""
