"""``ember`` / ``python -m ember``: the command line.

``ember`` (or ``ember info``) prints the build report a bug report needs; ``ember train``,
``evaluate``, ``predict``, ``tune`` and ``bench`` live in ember/cli/, one file each. User
errors print one line on stderr and exit with status 2 (EMBER_DEBUG=1 shows tracebacks).
"""
import importlib
import os
import sys

COMMANDS = {
    "train": "train a zoo model (default: LeNet-5 on the shipped digits)",
    "evaluate": "evaluate a checkpoint written by train on --data",
    "predict": "predict classes for --data with a checkpoint, optionally into a CSV",
    "tune": "hyperparameter search from a TOML config (needs ember[tune])",
    "bench": "kernel benchmark table: ember vs NumPy (and PyTorch when installed)",
    "info": "print the build report",
}


def report():
    from .cli.info import report as _report
    return _report()


def _usage():
    lines = ["usage: ember [COMMAND] [ARGS...]", "", "commands:"]
    lines += [f"  {name:<9} {text}" for name, text in COMMANDS.items()]
    lines += ["", "`ember COMMAND --help` describes a command's options; `ember` alone prints the build report."]
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    cmd, rest = (argv[0], argv[1:]) if argv else ("info", [])
    if cmd not in COMMANDS:
        print(f"ember: error: unknown command {cmd!r}; valid commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(f"ember.cli.{cmd}")
        return module.main(rest) or 0
    except SystemExit as e:  # argparse: usage errors exit 2, --help exits 0
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except BrokenPipeError:  # `ember ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"ember {cmd}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - user-facing: one line, no traceback
        if os.environ.get("EMBER_DEBUG"):
            raise
        msg = " ".join(str(e).split()) or type(e).__name__
        print(f"ember {cmd}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
