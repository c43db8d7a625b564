"""Precision variants of engine graphs, measured and gated on this machine (`clarion optimize`)."""
