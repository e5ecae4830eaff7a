"""Every model of both papers behind one registry: `build(name, num_classes=None, **overrides)`, `names()`.

FCNN (`fcnn.py`): fcnn-a … fcnn-l and fcnn-a0. HO-CP (`hocp.py`): mobilenetv2-cifar, hosconv-cifar,
convnet3d, hocp-convnet, hocp-convnet-s. FCNN Table 7's reference networks (`reference.py`): alexnet,
googlenet, resnet18, vgg16 (torchvision's definitions, untrained). Every model carries `input_size`
(its paper's input, without batch) and `num_classes`. Where a paper's text admits two readings, the
default name implements the one the text decides and the other is a registered variant (`readings.py`:
fcnn-c/d-no-basis-bn, fcnn-l-layer-residual, hocp-convnet(-s)-eq16, hocp-convnet-s-identity-skip). The
experiments that test the papers' untested claims train three ablations (`readings.ABLATIONS`): fcnn-e-no-residual,
convnet3d-cp-finetune (3D-ConvNet CP-decomposed after training, see suite.train's ``decompose_after``) and
hocp-convnet-no-psi (HO-CP ConvNet with linear CP factors, no Ψ).
Models of your own register through the same `register_model` from your module (`suite.plugins`: ``--import``, or the
entry-point group ``fcnn_suite.models``).
"""
from suite.plugins import import_modules, imported

from . import fcnn, hocp, reference  # noqa: F401  (registration)
from ._registry import build, get_model_builder, names, overrides_of, register_model
from .readings import ABLATIONS, VARIANTS, reading

__all__ = ["build", "names", "register_model", "get_model_builder", "overrides_of", "reading", "VARIANTS", "ABLATIONS",
           "import_modules", "imported"]
