"""Hold the pure mapping rules: no gRPC, HTTP or storage in here."""
