"""Uploaded reference voices, for engines that clone."""
