"""Benchmark data: the fragmented-registry generator, registries built on real firms, the
bundled demo and real-data loaders."""

from linkage.datasets.demo import write_demo
from linkage.datasets.from_registry import RealFirmsDataset, generate_from_registry
from linkage.datasets.generator import GeneratedDataset, generate

__all__ = [
    "GeneratedDataset",
    "RealFirmsDataset",
    "generate",
    "generate_from_registry",
    "write_demo",
]
