"""Who was present: attendance per person and session."""
