"""Shared test configuration. Feature-specific fixtures live beside their tests."""
