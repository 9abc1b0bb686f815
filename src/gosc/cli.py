"""The ``gosc`` command: the server, and the offline tools for operators."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .server.app import ServerConfig, create_app
    from .server.tls import ensure_certificate

    host, port = args.listen
    data_dir = Path(args.data_dir).resolve()
    networks = None
    if args.netns_network:
        from .backends.netns import parse_network

        networks = dict(parse_network(v) for v in args.netns_network)
    config = ServerConfig(data_dir=data_dir, demo=args.demo, users_file=Path(args.users) if args.users else None,
                          guest_backend=args.guest_backend, netns_prefix=args.netns_prefix, netns_networks=networks)
    app = create_app(config)
    ssl = {}
    if not args.http:
        cert, key = ensure_certificate(data_dir, host)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    scheme = "http" if args.http else "https"
    print(f"gosc: serving VI/JSON at {scheme}://{host}:{port}/sdk/vim25/... and SOAP at {scheme}://{host}:{port}/sdk",
          file=sys.stderr, flush=True)  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level=args.log_level, access_log=False, lifespan="on",
                timeout_graceful_shutdown=5, **ssl)  # type: ignore[arg-type]
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    from .inventory.authorization_manager import hash_password

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("password: ")
    print(hash_password(password))
    return 0


def cmd_rpctool(args: argparse.Namespace) -> int:
    from .guest.rpctool import main as rpctool

    return rpctool(args.vm_uuid, args.rpc_command)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gosc", description="vSphere guest OS customization, served and applied.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the vCenter API server (VI/JSON and SOAP)")
    s.add_argument("--listen", type=_listen, default=("127.0.0.1", 8989), metavar="HOST:PORT")
    s.add_argument("--data-dir", default="./gosc-data", help="store, TLS certificate and guest trees")
    s.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    s.add_argument("--demo", action="store_true", help="create the demo inventory when the store is empty")
    s.add_argument("--users", help="users and roles (TOML); default DATA_DIR/users.toml")
    s.add_argument("--log-level", default="warning")
    s.add_argument("--guest-backend", choices=("rootfs", "netns"), default="rootfs",
                   help="guests of the demo VMs: directory trees (rootfs) or live Linux namespaces (netns, root only)")
    s.add_argument("--netns-prefix", default="gosc", help="netns backend: prefix of its namespaces (PREFIX-host ...)")
    s.add_argument("--netns-network", action="append", metavar="PORTGROUP=CIDR",
                   help="netns backend: a port group's bridge address, DHCP on it (default 'VM Network=192.168.10.1/24')")
    s.set_defaults(func=cmd_serve)

    h = sub.add_parser("hash-password", help="print a password hash for users.toml (reads the password)")
    h.set_defaults(func=cmd_hash_password)

    r = sub.add_parser("rpctool", help="ask the host through a guest's tools agent, as vmware-rpctool does")
    r.add_argument("--vm-uuid", required=True, help="the VM's instanceUuid")
    r.add_argument("rpc_command", metavar="COMMAND", help='e.g. "info-get guestinfo.key"')
    r.set_defaults(func=cmd_rpctool)

    from .offline import add_offline_commands

    add_offline_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    from .offline import InputError

    try:
        return int(args.func(args) or 0)
    except InputError as e:
        print(f"gosc: {e}", file=sys.stderr)
        return e.status


if __name__ == "__main__":
    sys.exit(main())
