"""Checkpoints: atomic writes, safe reads, and the allow-list of what a stored config may build."""
