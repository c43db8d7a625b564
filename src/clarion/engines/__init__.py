"""TTS backends behind one protocol (see base.py); found through entry points (registry.py)."""
