"""Generate ``regalsync.contracts`` from the .proto files under ``protos/``.

protoc writes files and imports that mirror the proto directory tree
(``regalsync/common/v1`` -> ``from regalsync.common.v1 import ...``). The
generated code lives inside the ``regalsync.contracts`` package instead:
``protos/regalsync/mapping/v1`` becomes ``regalsync.contracts.mapping.v1``
and ``protos/eventbus/v1`` becomes ``regalsync.contracts.eventbus.v1``, and
the imports are rewritten to match.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "protos"
OUT = ROOT / "libs" / "regalsync" / "contracts"
TOP_PACKAGES = ("regalsync", "eventbus")
IMPORT = re.compile(rf"^from ({'|'.join(TOP_PACKAGES)})((?:\.\w+)*) import", re.M)


def main() -> int:
    """Regenerate every module and package marker, then fix imports."""
    from grpc_tools import protoc  # dev dependency, imported only here

    protos = sorted(p.relative_to(PROTO_ROOT).as_posix()
                    for p in PROTO_ROOT.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)
        include = str(Path(protoc.__file__).parent / "_proto")
        status: int = protoc.main([
            "grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{include}",
            f"--python_out={raw}", f"--pyi_out={raw}", f"--grpc_python_out={raw}",
            *protos,
        ])
        if status != 0:
            return status
        if OUT.exists():
            shutil.rmtree(OUT)
        # regalsync/<service>/v1 moves up one level; eventbus stays as is.
        shutil.copytree(raw / "regalsync", OUT)
        shutil.copytree(raw / "eventbus", OUT / "eventbus")

    for directory in [OUT, *(d for d in OUT.rglob("*") if d.is_dir())]:
        (directory / "__init__.py").touch()
    (OUT / "__init__.py").write_text(
        '"""Generated from protos/ by scripts/gen-protos; do not edit."""\n')
    for module in OUT.rglob("*.py*"):
        text = module.read_text()
        fixed = IMPORT.sub(_absolute_import, text)
        if fixed != text:
            module.write_text(fixed)
    print(f"generated {len(protos)} proto files into {OUT.relative_to(ROOT)}")
    return 0


def _absolute_import(match: re.Match[str]) -> str:
    top, rest = match[1], match[2]
    inner = rest if top == "regalsync" else f".{top}{rest}"
    return f"from regalsync.contracts{inner} import"


if __name__ == "__main__":
    sys.exit(main())
