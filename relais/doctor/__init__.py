"""``relais doctor``: what an installation needs, checked one line at a time, in French."""
