"""Benchmarks: scripts that print figures and ratios, never asserts on time."""
