"""The one exception family users see: the CLI prints its message on one line."""


class CTMError(Exception):
    """A problem with the user's input or data; the message names the value and the fix."""
