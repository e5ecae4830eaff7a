"""One run as several DistributedDataParallel ranks: ``nodes × tasks_per_node`` submitit tasks.

submitit starts every task of a job with the same call; :func:`init` makes the tasks one process
group (``submitit.helpers.TorchDistributedEnvironment``: MASTER_ADDR/PORT, RANK, WORLD_SIZE from
SLURM; NCCL for CUDA models, gloo on CPUs) and :func:`prepare` turns the single-process inputs of
``suite.train.train`` into this rank's:

- the model is wrapped in DDP (gradients averaged over ranks after every step) whose
  ``state_dict`` is the bare model's, so checkpoints resume under any number of tasks;
- the training set is split into ``world`` equal strided shards (a remainder of < world samples is
  left out, as equal shards keep the ranks' step counts, and so their collectives, in lockstep);
- each rank takes ``batch_size / world`` samples per step: the same global batch as one task;
- rank 0 writes the run directory, exactly as one task does; every other rank writes into a
  scratch copy under the job's submitit folder, seeded from the run directory at start so that all
  ranks resume from the same epoch after a requeue.

Every rank evaluates the whole validation set with its own BN statistics; rank 0's are logged.
"""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import torch
from torch.nn.parallel import DistributedDataParallel


class Ranks(NamedTuple):
    rank: int
    world: int
    local_rank: int
    backend: str
    device: torch.device  # this rank's device: cuda:<local rank> on GPU nodes
    scratch: Path  # where ranks > 0 keep their copy of the run directory


def init(device_type: str = "cpu") -> Ranks | None:
    """Join this task to the job's process group; None if the job has a single task (or is not a
    submitit job at all). ``device_type``: "cuda" (NCCL, one GPU per task) or "cpu" (gloo)."""
    import submitit
    import torch.distributed as dist
    try:
        job = submitit.JobEnvironment()
    except RuntimeError:  # not inside a submitit job: in-process runs are single-task
        return None
    if job.num_tasks == 1:
        return None
    env = submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
    if device_type == "cuda":  # GPU local_rank of the node (or of the task's own GPUs if SLURM binds them)
        device = torch.device("cuda", env.local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return Ranks(env.rank, env.world_size, env.local_rank, backend, device, Path(job.paths.folder) / "ddp")


def prepare(model, train_set, recipe, run_dir: Path, ranks: Ranks):
    """(model, train_set, recipe, run_dir) for this rank; see the module docstring."""
    import torch.distributed as dist
    from torch.utils.data import Subset
    if recipe.batch_size % ranks.world:
        raise ValueError(f"batch_size {recipe.batch_size} is not divisible by the {ranks.world} tasks of the "
                         f"job; expected nodes × tasks_per_node to divide it")
    n = len(train_set) - len(train_set) % ranks.world
    shard = Subset(train_set, range(ranks.rank, n, ranks.world))
    rank_dir = Path(run_dir)
    if ranks.rank != 0:
        rank_dir = ranks.scratch / Path(run_dir).name / f"rank{ranks.rank}"
        if rank_dir.exists():
            shutil.rmtree(rank_dir)
        if Path(run_dir).is_dir():  # rank 0 does not write before the barrier below
            shutil.copytree(run_dir, rank_dir)
    dist.barrier()
    model = model.to(ranks.device)
    ddp = BareStateDDP(model, device_ids=[ranks.device.index] if ranks.device.type == "cuda" else None)
    return ddp, shard, replace(recipe, batch_size=recipe.batch_size // ranks.world), rank_dir


def finish() -> None:
    import torch.distributed as dist
    if dist.is_initialized():
        dist.destroy_process_group()


class BareStateDDP(DistributedDataParallel):
    """DDP whose checkpoints are the wrapped model's (no ``module.`` prefix)."""

    def state_dict(self, *args, **kwargs):
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, **kwargs):
        return self.module.load_state_dict(state_dict, strict=strict, **kwargs)
