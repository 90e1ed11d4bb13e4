"""The exception family users see: the CLI prints its message on one line and exits with
the error's own code."""


class CTMError(Exception):
    """A problem with the user's input or data; the message names the value and the fix."""

    exit_code = 2
    """The CLI's exit status for this error (2, as for a usage error)."""


class NotScored(CTMError):
    """A batch command answered, but inputs had no value: all of them, or any under --strict."""

    exit_code = 1
