"""Where a run ran (env.json): the code's commit, package versions and the hardware."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .. import host
from .layout import REPO

PACKAGES = ("torch", "torchvision", "numpy", "numba", "numba-cuda", "submitit", "fcnn-hocp-suite")


def project_version() -> str:
    """This project's version: the installed package's metadata, else pyproject.toml's (a plain checkout)."""
    try:
        return metadata.version("fcnn-hocp-suite")
    except metadata.PackageNotFoundError:
        import tomllib
        return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict:
    """Git commit, package versions and hardware of this process (env.json)."""
    versions = host.package_versions(PACKAGES)
    code = git_commit() or f"fcnn-hocp-suite {versions['fcnn-hocp-suite']} (not a git checkout)"
    env = {"git_commit": code, "python": sys.version.split()[0], "packages": versions,
           "platform": platform.platform(), "machine": platform.machine(),
           "cpu": host.cpu()[0], "cpu_count": os.cpu_count(),
           "hostname": platform.node(), "slurm_job_id": os.environ.get("SLURM_JOB_ID")}
    try:
        import torch
        env["torch_threads"] = torch.get_num_threads()
        env["cuda"] = torch.cuda.is_available()
        env["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return env
