"""Extractors: numbers (pure parsing), indicators and zero outcomes, problems and measures."""
