"""The public web channel: agenda, event and cycle pages, registration, « Mes inscriptions »."""
