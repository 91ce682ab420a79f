"""Test configuration: Hypothesis is deterministic under CI (CI=true), random locally."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
settings.register_profile("thorough", max_examples=400, deadline=None)  # pytest --hypothesis-profile=thorough
