"""Benchmarks of the portal, run by `make bench` against PostgreSQL and Redis."""
