"""The activity report: figures computed from what Relais recorded."""
