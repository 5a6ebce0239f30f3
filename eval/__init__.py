"""Datasets, metrics, benchmarks and reports."""
