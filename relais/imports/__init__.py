"""Long imports written a chunk at a time, with their progress kept so they can resume."""
