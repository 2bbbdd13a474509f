"""Benchmarks: speed, memory and scale, side by side with a plain LangChain pipeline (issue 8)."""
