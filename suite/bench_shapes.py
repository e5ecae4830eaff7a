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
