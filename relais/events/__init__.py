"""Events (rencontres, webinaires, sessions of a cycle) and cycles."""
