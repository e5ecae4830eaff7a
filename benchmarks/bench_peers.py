"""HO-CP's CP convolution beside its peer: TensorLy-Torch's CP `FactorizedConv` (tltorch, by an HO-CP author).

Same shapes, inputs and CP factors as bench_hocp.CPConv3d. Besides our `suite.ops.cp_conv` on each backend
(the inherited time_forward, ...), each parameter combination times tltorch's layer built from the very
same factors (checked equal to ours in setup) on the same device, in its two forward modes:
'factorized' (1×1 to R, depthwise 1-D convs per mode, 1×1 to T — eq. 15 again, in tltorch's code) and
'reconstructed' (the dense CP kernel rebuilt at every call, then one conv3d). The track_speedup_vs_tltorch_*
ratios (tltorch time / our time) are measured in one process, one after the other.

tltorch (pip tensorly-torch) is a bench extra, not a runtime dependency: without it, setup raises
NotImplementedError and asv records the combination as skipped.
"""
import torch

from . import bench_hocp  # not `from .bench_hocp import CPConv3d`: asv would discover it here a second time
from ._common import best_seconds, synchronize

IMPLEMENTATIONS = ("factorized", "reconstructed")


def _tltorch_layers(channel_in, spatial, channel_out):
    """{implementation: tltorch.FactorizedConv} with the CP kernel W[t, c, k...] = Σ_r U^T[t,r] U^C[c,r] Π U^K_d."""
    try:
        import tltorch
    except ImportError as err:
        raise NotImplementedError(f"tltorch is not installed ({err}); pip install tensorly-torch "
                                  "(the bench extra of pyproject.toml)") from None
    layers = {}
    for impl in IMPLEMENTATIONS:
        factors = [torch.nn.Parameter(f.detach().clone()) for f in (channel_out, channel_in, *spatial)]
        weights = torch.nn.Parameter(torch.ones(channel_in.shape[1], device=channel_in.device))
        cp = tltorch.factorized_tensors.CPTensor(weights, factors)
        layers[impl] = tltorch.FactorizedConv.from_factorization(cp, implementation=impl, padding=bench_hocp.K // 2)
    return layers


class CPConv3dVsTltorch(bench_hocp.CPConv3d):
    """bench_hocp.CPConv3d plus tltorch's FactorizedConv on the same factors, shapes and device."""

    def _prepare(self, shape, backend) -> dict:
        state = super()._prepare(shape, backend)
        torch.manual_seed(0)  # the very inputs CPConv3d built (inputs() draws them in a fixed order)
        x, channel_in, spatial, channel_out = self.inputs(state["spec"], state["device"])
        layers = _tltorch_layers(channel_in, spatial, channel_out)
        with torch.no_grad():
            ours = state["call"]()
            for impl, layer in layers.items():
                theirs = layer(x)
                err = float((theirs - ours).abs().max() / ours.abs().max().clamp_min(1e-30))
                if not err < 1e-4:  # float32, a sum over C·R·K³ terms in a different order
                    raise RuntimeError(f"tltorch FactorizedConv ({impl}) differs from suite.ops.cp_conv "
                                       f"(max relative error {err:.2e}) on shape {shape!r}: not the same conv")

        def call_of(layer):
            def call():
                with torch.no_grad():
                    return layer(x)
            return call

        state.update({f"tltorch_{impl}": call_of(layer) for impl, layer in layers.items()})
        return state

    def time_tltorch_factorized(self, *params):
        self.tltorch_factorized()
        synchronize(self.device)

    def time_tltorch_reconstructed(self, *params):
        self.tltorch_reconstructed()
        synchronize(self.device)

    def track_speedup_vs_tltorch_factorized(self, *params):
        return self._ratio(self.tltorch_factorized)

    def track_speedup_vs_tltorch_reconstructed(self, *params):
        return self._ratio(self.tltorch_reconstructed)

    track_speedup_vs_tltorch_factorized.unit = "x (tltorch time / our time)"
    track_speedup_vs_tltorch_reconstructed.unit = "x (tltorch time / our time)"

    def _ratio(self, theirs) -> float:
        with torch.no_grad():
            return best_seconds(theirs, self.device) / best_seconds(self.call, self.device)
