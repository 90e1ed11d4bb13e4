"""A Dask worker preload (``dask worker --preload other_kernel.py``): the worker's
ctm-pipeline reports another kernel version than the client's, as a worker with another
release installed would, and counts as before. The compose test starts one such worker
to show that the driver refuses its results (docs/cluster.md, "The tests with Docker").
Dask may import a preload more than once: each import sets the same versions."""

import pipeline.kernel
import tmsim_ext

pipeline.kernel.KERNEL_VERSION = f"{tmsim_ext.KERNEL_VERSION}-other"
pipeline.kernel.GRID_KERNEL_VERSION = f"{tmsim_ext.GRID_KERNEL_VERSION}-other"
