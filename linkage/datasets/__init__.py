"""Benchmark data: the fragmented-registry generator, the bundled demo and real-data loaders."""

from linkage.datasets.demo import write_demo
from linkage.datasets.generator import GeneratedDataset, generate

__all__ = ["GeneratedDataset", "generate", "write_demo"]
