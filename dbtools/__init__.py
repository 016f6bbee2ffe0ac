"""Operational helpers shared by env.py, the Makefile targets and the tests."""
