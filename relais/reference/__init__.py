"""Editable reference lists: themes, professional profiles, départements."""
