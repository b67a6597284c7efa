"""Exceptions that the CLI turns into one-line messages."""


class InputError(ValueError):
    """Bad user input (a file, a parameter, a port): the message is one line, shown as is.

    The CLI prints ``sms-detect: error: <message>`` and exits with status 1.
    """
