"""``python3 -m gosc.guest.engine [--root /] [--dry-run] PKG_DIR`` - the deploy package command.

Exit status is the VMware deployPkg error code (0 success)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import apply


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m gosc.guest.engine")
    ap.add_argument("pkg_dir", type=Path, help="directory holding the extracted package (cust.cfg ...)")
    ap.add_argument("--root", type=Path, default=Path("/"), help="guest root (default /)")
    ap.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")
    args = ap.parse_args(argv)
    result = apply(args.root, args.pkg_dir, dry_run=args.dry_run)
    if args.dry_run:
        sys.stdout.write(result.diff)
    print(f"{'OK' if result.ok else 'FAILED'} ({result.error_code}): {result.message}", file=sys.stderr)
    return result.error_code


if __name__ == "__main__":
    sys.exit(main())
