"""Builds the Cython kernels; every other setting lives in pyproject.toml.

Cython directives are set once here. CTM_CYTHON_DEBUG=1 turns bounds and wraparound
checking back on (and drops -O3) for debugging the kernels.
"""

import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("CTM_CYTHON_DEBUG") == "1"

KERNELS = {
    "tmsim_ext._kernel": "tmsim_ext/_kernel.pyx",  # 1-D machines
    "tmsim_ext._grid": "tmsim_ext/_grid.pyx",  # 2-D machines
}

extensions = [
    Extension(
        name,
        [source],
        include_dirs=[np.get_include()],
        extra_compile_args=["-O0", "-g"] if DEBUG else ["-O3", "-g"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name, source in KERNELS.items()
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "cdivision": not DEBUG,
            "initializedcheck": DEBUG,
        },
    )
)
