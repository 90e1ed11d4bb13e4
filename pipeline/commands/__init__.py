"""Subcommands of ``ctm``, one module per stage they drive."""
