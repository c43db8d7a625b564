"""The text front end: normalisation, language tagging and sentence splitting."""
