"""`backend="auto"` by measurement (suite.ops.autotune): the choice, its cache key, the disk cache.

Timings here decide nothing fragile: the slow candidate sleeps far longer than the fast one takes, and
the budget per candidate is tiny.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings

import pytest
import torch

from suite import ops
from suite.ops import autotune, registry

from ._helpers import f64

SLEEP = 0.05


@pytest.fixture
def tuned(tmp_path, monkeypatch):
    """Measuring on, a private cache directory, a tiny budget, empty memory; kernels not compiled yet are
    candidates too (compiled to be timed: these tests are about the choice, not the first-call cost)."""
    monkeypatch.setenv("SUITE_AUTOTUNE", "1")
    monkeypatch.setenv("SUITE_AUTOTUNE_COMPILE", "1")
    monkeypatch.setenv("SUITE_AUTOTUNE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SUITE_AUTOTUNE_BUDGET", "0.001")
    monkeypatch.setattr(autotune, "_memory", {})
    monkeypatch.setattr(registry, "_TABLE", {op: dict(impls) for op, impls in registry.implementations_all().items()})
    return tmp_path / "cache"


def _slow(fn):
    def call(*args):
        time.sleep(SLEEP)
        return fn(*args)
    return call


def _cp_args():
    return f64(1, 2, 6, 5), f64(2, 3), [f64(3, 3), f64(1, 3)], f64(4, 3)


@pytest.mark.parametrize("slow", ["torch", "fake-kernel"])
def test_auto_picks_the_faster_candidate(tuned, slow):
    reference = registry.implementations("cp_conv")["torch"].fn
    registry.register("cp_conv", "fake-kernel", device="cpu", dtypes=None)(reference)
    impl = registry._TABLE["cp_conv"][slow]
    registry.register("cp_conv", slow, device=impl.device, dtypes=None)(_slow(impl.fn))
    x, u_in, spatial, u_out = _cp_args()
    out = ops.cp_conv(x, u_in, spatial, u_out)
    torch.testing.assert_close(out, reference(x, u_in, spatial, u_out))
    (choice,) = autotune.cached().values()
    assert choice != slow and choice in registry.auto_candidates("cp_conv", x)


@pytest.mark.parametrize("compiled", [False, True])
def test_a_kernel_not_compiled_yet_is_not_timed(tuned, monkeypatch, compiled):
    """Unless SUITE_AUTOTUNE_COMPILE=1, auto never compiles a kernel only to time it; a choice made without
    it stays in memory (the next process measures again once the kernel is warm)."""
    monkeypatch.setenv("SUITE_AUTOTUNE_COMPILE", "0")
    reference = registry.implementations("cp_conv")["torch"].fn
    called = []
    for name in [b for b in registry._TABLE["cp_conv"] if b != "torch"]:
        del registry._TABLE["cp_conv"][name]
    registry.register("cp_conv", "fake-kernel", device="cpu", dtypes=None, compiled=lambda x, grad: compiled)(
        lambda *a: called.append(1) or reference(*a))
    x = _cp_args()[0]
    skipped = []
    assert ("fake-kernel" in registry.auto_candidates("cp_conv", x, False, skipped)) == compiled
    assert skipped == ([] if compiled else ["fake-kernel"])
    ops.cp_conv(*_cp_args())
    assert bool(called) == compiled  # timed (warm-up call) only when compiled
    assert autotune.cache_file().exists() == compiled
    monkeypatch.setenv("SUITE_AUTOTUNE_COMPILE", "1")
    assert "fake-kernel" in registry.auto_candidates("cp_conv", x)


def test_kernels_mark_what_they_compiled(tmp_path, monkeypatch):
    """A kernel's forward (and, once autograd ran it, its backward) is marked compiled in this process and by
    a stamp in the Numba cache directory that later processes read."""
    from suite.kernels import _warm

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_warm, "_in_process", set())
    args = ([a.requires_grad_() for a in (f64(1, 2, 3, 4), f64(2, 3))]
            + [[f64(3, 3), f64(3, 3)], f64(2, 3).requires_grad_()])
    assert not _warm.compiled("numba", "cp_conv", torch.float64, False)
    out = ops.cp_conv(*args, backend="numba")
    assert _warm.compiled("numba", "cp_conv", torch.float64, False)
    assert not _warm.compiled("numba", "cp_conv", torch.float64, True)
    out.sum().backward()
    assert _warm.compiled("numba", "cp_conv", torch.float64, True)
    monkeypatch.setattr(_warm, "_in_process", set())  # a new process: the stamps on disk
    assert _warm.compiled("numba", "cp_conv", torch.float64, True)
    assert not _warm.compiled("numba", "cp_conv", torch.float32, False)
    assert _warm.stamp_dir().is_relative_to(tmp_path)


def test_choice_is_cached_in_memory_and_on_disk(tuned, monkeypatch):
    measured = []
    real = autotune.measure
    monkeypatch.setattr(autotune, "measure", lambda *a: measured.append(1) or real(*a))
    args = _cp_args()
    ops.cp_conv(*args)
    ops.cp_conv(*args)
    assert len(measured) == 1  # known key: no measuring
    monkeypatch.setattr(autotune, "_memory", {})
    ops.cp_conv(*args)
    assert len(measured) == 1  # read back from the disk cache
    ops.cp_conv(args[0][:, :, :5], *args[1:])
    assert len(measured) == 2  # a new shape is measured
    data = json.loads(autotune.cache_file().read_text())
    assert autotune.cache_file().parent == tuned and data["fingerprint"] == autotune.fingerprint()
    assert len(data["choices"]) == 2


def test_cache_key_changes_with_shape_dtype_layout_threads_and_grad():
    x = f64(2, 3, 5, 5)
    base = autotune.call_key("basis_conv2d", [x])
    assert autotune.call_key("basis_conv2d", [f64(2, 3, 5, 6)]) != base
    assert autotune.call_key("basis_conv2d", [x.float()]) != base
    assert autotune.call_key("basis_conv2d", [x.contiguous(memory_format=torch.channels_last)]) != base
    assert autotune.call_key("basis_conv2d", [x.requires_grad_()]) != autotune.call_key("basis_conv2d", [x.detach()])
    with torch.no_grad():
        assert autotune.call_key("basis_conv2d", [x]) == autotune.call_key("basis_conv2d", [x.detach()])
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(threads + 1)
        other = autotune.call_key("basis_conv2d", [x.detach()])
    finally:
        torch.set_num_threads(threads)
    assert other != autotune.call_key("basis_conv2d", [x.detach()])


def test_corrupt_cache_file_is_ignored_with_a_warning_and_rewritten(tuned):
    path = autotune.cache_file()
    path.parent.mkdir(parents=True)
    for garbage in ("{not json", json.dumps({"choices": ["a"]}), json.dumps({"other": 1}), ""):
        path.write_text(garbage)
        autotune._memory.clear()
        with pytest.warns(RuntimeWarning, match="corrupt"):
            ops.cp_conv(*_cp_args())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert len(autotune.cached()) == 1  # rewritten whole


def test_concurrent_writers_keep_every_choice(tuned):
    """Four processes write different keys at once: the file stays whole and holds all of them."""
    code = ("import sys; from suite.ops import autotune\n"
            "for i in range(20): autotune._write(autotune.cache_file(), {f'{sys.argv[1]}-{i}': 'torch'})\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(w)]) for w in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(autotune.cached()) == {f"{w}-{i}" for w in range(4) for i in range(20)}


def test_off_switch_gives_the_fixed_choice_without_measuring(tuned, monkeypatch):
    calls = []
    monkeypatch.setattr(autotune, "measure", lambda *a: calls.append(1))
    autotune.set_enabled(False)
    try:
        x = _cp_args()[0].float()
        assert registry.auto_backend("cp_conv", x) == "numba"  # the fixed choice
        ops.cp_conv(*(a.float() if isinstance(a, torch.Tensor) else [t.float() for t in a] for a in _cp_args()))
    finally:
        autotune.set_enabled(None)
    assert calls == [] and autotune.cached() == {}


def test_cli_lists_and_clears(tuned):
    ops.cp_conv(*_cp_args())
    run = lambda *a: subprocess.run([sys.executable, "-m", "suite.autotune", *a], capture_output=True, text=True)  # noqa: E731
    listed = run("list")
    assert listed.returncode == 0 and "1 choice(s)" in listed.stdout and "cp_conv" in listed.stdout
    assert run("clear").returncode == 0
    assert "0 choice(s)" in run("list").stdout


def test_a_candidate_that_fails_is_left_out(tuned):
    def broken(*args):
        raise ValueError("cannot take this call")

    registry.register("cp_conv", "broken-kernel", device="cpu", dtypes=None)(broken)
    reference = registry.implementations("cp_conv")["torch"].fn
    args = _cp_args()
    torch.testing.assert_close(ops.cp_conv(*args), reference(*args))
    assert set(autotune.cached().values()) <= set(registry.auto_candidates("cp_conv", args[0])) - {"broken-kernel"}
