"""Clarion: a serving stack for open-source text-to-speech models."""

__version__ = "0.1.0"
