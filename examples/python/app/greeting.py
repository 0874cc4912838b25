"""What the server says. Change it: the live update restarts the server."""

VERSION = "v1"


def message():
    return f"hello from python {VERSION}"
