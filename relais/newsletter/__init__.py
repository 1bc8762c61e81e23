"""The « Ressources Info » newsletter: subscribers, consent, issues and their archive."""
