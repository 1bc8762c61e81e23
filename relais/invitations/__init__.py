"""Inviting a network's members to an event, and broadcasting to them, once per channel."""
