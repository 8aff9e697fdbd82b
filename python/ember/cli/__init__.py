"""The ``ember`` command line: one module per subcommand (train, evaluate, predict, tune,
bench, info); ``ember.__main__`` dispatches to them. User errors raise CLIError (or any
exception whose message starts with an op name): the dispatcher prints one line on
stderr and exits non-zero, without a traceback (EMBER_DEBUG=1 shows it)."""
from ._common import CLIError

__all__ = ["CLIError"]
