"""People, their organisations and their consent records."""
