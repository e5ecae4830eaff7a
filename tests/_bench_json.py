"""Synthetic model-timing JSONs (format of `suite.bench.model_timing`) for the verdict and figure tests: times
are set, never measured; samples spread by a set relative amount around them."""
import json

from suite.bench.model_timing import FORMAT


def samples(ms: float, spread: float = 0.02, n: int = 8) -> list[float]:
    """n samples whose geometric mean is ms (symmetric in log), spread ± `spread` relative."""
    steps = [(-1 + 2 * i / (n - 1)) for i in range(n)]
    return [ms * (1 + spread) ** s for s in steps]


def bench(times: dict, kind: str = "cpu", name: str = "Test CPU", sha: str = "a" * 40, host: str = "testhost",
          spread: float = 0.02, layers: dict | None = None, mults: dict | None = None) -> dict:
    """`times`: {(model, part, task, batch): {form: ms}} -> a model-timings JSON dict. `layers`: {(layer, cin,
    cout): ms} of Figure 5. `mults`: {model: multiplications per image} (default 1e6)."""
    records = []
    for (model, part, task, batch), forms in times.items():
        for form, ms in forms.items():
            rec = {"model": model, "part": part, "task": task, "batch": batch, "form": form,
                   "input_size": [3, 8, 8], "multiplications": (mults or {}).get(model, 1e6)}
            if ms is None:
                rec["skipped"] = "not run"
            else:
                rec["samples_ms"] = samples(ms, spread)
            records.append(rec)
    layer_recs = [{"layer": layer, "in_channels": cin, "out_channels": cout, "batch": 1, "task": "inference",
                   "form": form, "multiplications": 1e6, "samples_ms": samples(ms * slower, spread)}
                  for (layer, cin, cout), ms in (layers or {}).items()
                  for form, slower in (("fp32 eager NCHW", 1.0), ("fp32 eager channels_last", 1.5))]
    device = {"kind": kind, "cores": 2, "cpu": name} if kind == "cpu" else {"kind": kind, "gpu": name}
    return {"format": FORMAT, "device": device, "host": host, "commit": {"sha": sha, "dirty": False},
            "records": records, "layers": layer_recs, "suite": {}}


def write(path, data: dict):
    path.write_text(json.dumps(data))
    return path
