"""Shared fixtures. Every test gets a fresh random seed (printed, so a failure can be replayed with
SUITE_SEED=<seed>)."""
import os
import random

import pytest
import torch

# `backend="auto"` takes its fixed choices in tests (and in the commands tests start): measuring would make
# the tests slower and their path depend on the machine's load. tests/test_autotune.py turns it on.
os.environ.setdefault("SUITE_AUTOTUNE", "0")


@pytest.fixture(autouse=True)
def fresh_seed():
    seed = int(os.environ.get("SUITE_SEED", random.SystemRandom().randrange(2**31)))
    torch.manual_seed(seed)
    random.seed(seed)
    print(f"SUITE_SEED={seed}")  # shown by pytest when the test fails
    yield seed
