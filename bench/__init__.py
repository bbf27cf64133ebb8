"""Benchmark scripts, run as ``.venv/bin/python bench/bench_x.py``; ``bench.common`` is what they share."""
