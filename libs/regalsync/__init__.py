"""regal-sync's shared runtime: settings, logging, gRPC, storage, CLI."""

__version__ = "0.1.0"
