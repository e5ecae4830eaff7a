"""Shared fixtures. Every test gets a fresh random seed (printed, so a failure can be replayed with
SUITE_SEED=<seed>)."""
import os
import random

import pytest
import torch


@pytest.fixture(autouse=True)
def fresh_seed():
    seed = int(os.environ.get("SUITE_SEED", random.SystemRandom().randrange(2**31)))
    torch.manual_seed(seed)
    random.seed(seed)
    print(f"SUITE_SEED={seed}")  # shown by pytest when the test fails
    yield seed
