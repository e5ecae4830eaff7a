"""The profiles every experiment is set up for: ``paper`` (the papers' settings, on the real data) and ``local``
(settings sized for a workstation, on data that needs no download)."""
from __future__ import annotations

PROFILES = ("paper", "local")


def check_profile(profile: str) -> str:
    """``profile`` if it is one of :data:`PROFILES`; ValueError naming the valid ones otherwise."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    return profile
