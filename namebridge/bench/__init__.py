"""The namebridge benchmark: `python -m namebridge.bench PAIRS.tsv`.

Shared pieces (reading pair files, generating distractors) live here so that every
benchmark of this repository, including the side-by-side baselines in `bench/`, measures
on the same data.
"""
