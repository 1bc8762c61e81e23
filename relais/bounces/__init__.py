"""Addresses that bounce: hard bounces and a soft-bounce score, per address."""
