"""Scenarios: the demo council generator, what-if transforms and the shipped scenario files."""
