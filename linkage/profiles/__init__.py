"""Entity profiles: one per entity, with the records that gave each surviving value.

:mod:`~linkage.profiles.build` (survivorship) and :mod:`~linkage.profiles.reuse` (an
incremental run keeps the previous profile of every entity whose members did not change).
"""

from linkage.profiles.build import build_profiles
from linkage.profiles.reuse import PreviousProfiles, reuse_profiles, survivorship_settings

__all__ = ["PreviousProfiles", "build_profiles", "reuse_profiles", "survivorship_settings"]
