"""Builds the Cython kernel; every other setting lives in pyproject.toml.

Cython directives are set once here. CTM_CYTHON_DEBUG=1 turns bounds and wraparound
checking back on (and drops -O3) for debugging the kernel.
"""

import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("CTM_CYTHON_DEBUG") == "1"

extension = Extension(
    "tmsim_ext._kernel",
    ["tmsim_ext/_kernel.pyx"],
    include_dirs=[np.get_include()],
    extra_compile_args=["-O0", "-g"] if DEBUG else ["-O3", "-g"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

setup(
    ext_modules=cythonize(
        [extension],
        language_level=3,
        compiler_directives={
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "cdivision": not DEBUG,
            "initializedcheck": DEBUG,
        },
    )
)
