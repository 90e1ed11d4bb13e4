"""ctm-pipeline: exact Coding Theorem Method tables from every small Turing machine."""

__version__ = "0.1.0"
