"""Benchmarks: a seeded local authority, and what walkbot costs over it."""
