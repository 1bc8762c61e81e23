"""The installation's signing key: ``SECRET_KEY`` when set, else a random key kept in the database."""
