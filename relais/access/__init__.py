"""Access without an account: signed expiring links to one's registrations, public page links."""
