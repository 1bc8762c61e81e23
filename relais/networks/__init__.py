"""Peer networks (« réseaux de pairs ») and their members."""
