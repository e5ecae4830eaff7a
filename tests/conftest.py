"""Shared fixtures. Every test gets a fresh random seed (printed, so a failure can be replayed with
SUITE_SEED=<seed>)."""
import os
import random
import tempfile

import pytest
import torch

# `backend="auto"` takes its fixed choices in tests (and in the commands tests start): measuring would make
# the tests slower and their path depend on the machine's load. tests/test_autotune.py turns it on.
os.environ.setdefault("SUITE_AUTOTUNE", "0")
# The tables compare with the reference results shipped in reference/ (docs/reference.md); the tests plant their
# own results and must not see them: an empty reference root (no manifest: no reference) unless one is given.
os.environ.setdefault("SUITE_REFERENCE", tempfile.mkdtemp(prefix="suite-tests-no-reference-"))


@pytest.fixture(autouse=True)
def fresh_seed():
    seed = int(os.environ.get("SUITE_SEED", random.SystemRandom().randrange(2**31)))
    torch.manual_seed(seed)
    random.seed(seed)
    print(f"SUITE_SEED={seed}")  # shown by pytest when the test fails
    yield seed


@pytest.fixture(scope="session")
def tiny_results(tmp_path_factory):
    """A results root holding tiny real runs (tests/_runs.py), trained once per session."""
    from tests._runs import tiny_results as make
    root = tmp_path_factory.mktemp("results")
    return root, make(root)
