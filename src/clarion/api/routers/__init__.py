"""HTTP routes; each module is thin and delegates to serving logic."""
