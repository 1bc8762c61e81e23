"""Who may use the coordinators' tools: administrators and coordinators."""
