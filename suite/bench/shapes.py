"""The benchmark shapes, defined once: `python -m suite.bench` and the asv benchmarks (benchmarks/) read them.

This module imports nothing: benchmarks/ load it by file path from their own tree, so asv can run
today's shapes against commits whose `suite` predates it. Shapes are float32, batch first.
"""

# FCNN Table 1's three stages (channels, map size) at batch 32: the layers Models C-L substitute.
FCNN_BATCH = 32
FCNN_STAGES = ((128, 36), (256, 18), (512, 6))
# FCNN Table 3's 2-D topology (grid d1×d2, neighbours c1×c2 = d/2) for each stage's channels.
FCNN_GRIDS_2D = {128: ((8, 16), (4, 8)), 256: ((16, 16), (8, 8)), 512: ((16, 32), (8, 16))}
FCNN_KERNEL = 3  # the kernel size of models C, D, E and L

# HO-CP 3-D convolution (Jester-like clip): batch, input (C, D, H, W) with T = C, 3×3×3, CP rank R = 3C / 6C.
HOCP_BATCH = 4
HOCP_DIMS = (16, 32, 32)
HOCP_CHANNELS = (64, 128)
HOCP_RANK_FACTORS = (3, 6)
HOCP_KERNEL = 3

# Tiny shapes for CI smoke runs (asv's 'small' parameter, `python -m suite.bench --quick`).
SMALL_2D = (2, 16, 8)  # (N, C, H)
SMALL_GRID_2D = ((4, 4), (2, 2))
SMALL_3D = (1, 8, (4, 8, 8))  # (N, C, (D, H, W))
SMALL_CP_RANK = 16
SMALL_TUCKER_RANK = 4

# Model L vs ResNet-18 inference: the batches of the speed target (N = 32 and N = 1), each model's own input.
MODEL_BATCHES = (32, 1)
# One SGD step of models E, K and L, `auto` vs `torch`: at the local profile's shapes (suite/experiments/_fcnn.py
# LOCAL_FCNN: 1×77×77 digits, width 0.25, the Caffe recipe's batch of 96) and at the paper's (3×221×221,
# width 1; batch 8 instead of the paper's 96 so that a step fits a benchmark run).
TRAIN_MODELS = ("fcnn-e", "fcnn-k", "fcnn-l")
TRAIN_LOCAL = {"batch": 96, "overrides": {"in_channels": 1, "width": 0.25, "input_size": (1, 77, 77)}}
TRAIN_PAPER = {"batch": 8, "overrides": {}}

# The GPU run (`python -m suite.bench --device cuda`): the FCNN stages above at N = 32 (single-basis step,
# basis_conv2d with b bases, topological 1x1) and the HO-CP 3-D shapes above (C = 64 / 128, R = 3C / 6C),
# forward and forward+backward; fused vs unfused models at MODEL_BATCHES. --quick keeps one shape of each.
GPU_BASES = 4  # basis_conv2d's b (the measurement of 2026-12-04 used 4)
GPU_FUSION_MODELS = ("fcnn-e", "fcnn-f", "fcnn-l")
GPU_QUICK_STAGE = (256, 18)
GPU_QUICK_CP = (64, 3)  # (C, R / C)
AUTO_OVERHEAD_SHAPE = (1, 8, 4, 4)  # the tiny single_basis_step of the `auto` hit-overhead row (host time)
