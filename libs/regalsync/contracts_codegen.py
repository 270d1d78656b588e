"""Generate ``regalsync.contracts`` from the .proto files under ``protos/``.

protoc writes imports that mirror the proto directory tree
(``from regalsync.common.v1 import ...``); the generated files live inside
the ``regalsync.contracts`` package, so those imports are rewritten to
absolute imports under it.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "protos"
OUT = ROOT / "libs" / "regalsync" / "contracts"
TOP_PACKAGES = ("regalsync", "eventbus")
IMPORT = re.compile(rf"^from ({'|'.join(TOP_PACKAGES)})(\.[\w.]+)? import", re.M)


def main() -> int:
    """Regenerate every module and package marker, then fix imports."""
    from grpc_tools import protoc  # dev dependency, imported only here

    protos = sorted(p.relative_to(PROTO_ROOT).as_posix()
                    for p in PROTO_ROOT.rglob("*.proto"))
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    include = str(Path(protoc.__file__).parent / "_proto")
    status = protoc.main([
        "grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{include}",
        f"--python_out={OUT}", f"--pyi_out={OUT}", f"--grpc_python_out={OUT}",
        *protos,
    ])
    if status != 0:
        return status

    for directory in [OUT, *(d for d in OUT.rglob("*") if d.is_dir())]:
        (directory / "__init__.py").touch()
    (OUT / "__init__.py").write_text(
        '"""Generated from protos/ by scripts/gen-protos; do not edit."""\n')
    for module in OUT.rglob("*.py*"):
        text = module.read_text()
        fixed = IMPORT.sub(
            lambda m: f"from regalsync.contracts.{m[1]}{m[2] or ''} import", text)
        if fixed != text:
            module.write_text(fixed)
    print(f"generated {len(protos)} proto files into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
