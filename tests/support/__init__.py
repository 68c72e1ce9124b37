"""Helpers shared by test modules, split by subject; test modules import them from here, never
from each other."""
