"""ctm-pipeline: exact Coding Theorem Method tables from every small Turing machine."""

import os

# numpy's OpenBLAS starts a spinning thread per core at import; nothing here does linear
# algebra, and those threads take CPU from the kernel's (as Dask's nanny does for its
# worker processes, keep them at one unless the user says otherwise).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
