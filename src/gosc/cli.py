"""The ``gosc`` command: the server, and the offline tools for operators."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable
from pathlib import Path


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


# uvicorn's levels; "trace" is uvicorn's own, below debug.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _demo_problem(args: argparse.Namespace) -> str | None:
    if args.demo_vms and not args.demo:
        return "--demo-vms adds to the demo inventory: give --demo too"
    if args.demo_vms and not (args.demo_hosts or args.demo_clusters):
        return "--demo-vms needs a host to run on: --demo-hosts or --demo-clusters above 0"
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    problem = _demo_problem(args)
    if problem:
        print(f"gosc serve: {problem}", file=sys.stderr)
        return 2

    from .server.app import ServerConfig, create_app
    from .server.limits import RequestLimits, server_tls_context
    from .server.listen import gosc_server
    from .server.tls import ensure_certificate

    # main() leaves every logger at WARNING; --log-level is for gosc's own loggers as for uvicorn's.
    logging.getLogger("gosc").setLevel("DEBUG" if args.log_level == "trace" else args.log_level.upper())
    host, port = args.listen
    data_dir = Path(args.data_dir).resolve()
    networks = None
    if args.netns_network:
        from .backends.netns import parse_network

        networks = dict(parse_network(v) for v in args.netns_network)
    limits = RequestLimits(
        max_body=args.max_body_size,
        header_timeout=args.header_timeout,
        keep_alive_timeout=args.keep_alive_timeout,
        max_connections=args.max_connections,
    )
    config = ServerConfig(
        data_dir=data_dir,
        demo=args.demo,
        users_file=Path(args.users) if args.users else None,
        guest_backend=args.guest_backend,
        netns_prefix=args.netns_prefix,
        netns_networks=networks,
        limits=limits,
        guest_reboot_seconds=args.guest_reboot_seconds,
        demo_vms=args.demo_vms,
        demo_hosts=args.demo_hosts,
        demo_clusters=args.demo_clusters,
    )
    app = create_app(config)
    tls = None
    if not args.http:
        cert, key = ensure_certificate(data_dir, host)
        tls = server_tls_context(str(cert), str(key))
    _allow_open_files(limits.max_connections)
    server = gosc_server(
        app,
        host,
        port,
        limits=limits,
        tls=tls,
        port_file=Path(args.port_file) if args.port_file else None,
        log_level=args.log_level,
        routes=app.routes,
    )
    server.run()
    if not server.started:
        return 3  # uvicorn's STARTUP_FAILURE: the lifespan start or the bind failed, and said why
    return 0


def _allow_open_files(connections: int) -> None:
    """Raise the soft limit on open files so that the connection bound, not EMFILE, is
    what a crowd of clients meets first."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connections + 256  # the store, guest agents, logs
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))


def _size(value: str) -> int:
    """Bytes, with an optional K/M/G suffix (binary)."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    v = value.strip().lower().removesuffix("ib").removesuffix("b")
    try:
        n = int(v[:-1]) * units[v[-1]] if v and v[-1] in units else int(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size in bytes (e.g. 16M), not {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError("a size must be positive")
    return n


def _positive(kind: type[float] | type[int], *, zero: bool = False) -> Callable[[str], float | int]:
    def parse(value: str) -> float | int:
        try:
            n = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {value!r}") from None
        if n < 0 or (n == 0 and not zero):
            raise argparse.ArgumentTypeError("must be zero or more" if zero else "must be positive")
        return n

    return parse


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
    s.add_argument(
        "--port-file", metavar="PATH", help="write the bound port here once listening (with --listen HOST:0)"
    )
    s.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    s.add_argument("--demo", action="store_true", help="create the demo inventory when the store is empty")
    s.add_argument(
        "--demo-vms",
        type=_positive(int, zero=True),
        default=0,
        metavar="N",
        help="with --demo: also N powered-on Linux VMs named as vcsim names them (DC0_H0_VM0, DC0_C0_H0_VM0 ...), "
        "made once; each guest's tree is made when first needed",
    )
    s.add_argument(
        "--demo-hosts",
        type=_positive(int, zero=True),
        default=1,
        metavar="H",
        help="with --demo-vms: standalone hosts the VMs are spread over (DC0_H0 ...; default 1)",
    )
    s.add_argument(
        "--demo-clusters",
        type=_positive(int, zero=True),
        default=0,
        metavar="C",
        help="with --demo-vms: clusters of three hosts the VMs are also spread over (DC0_C0 ...; default 0)",
    )
    s.add_argument("--users", help="users and roles (TOML); default DATA_DIR/users.toml")
    s.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="warning",
        help="of gosc's own log and uvicorn's (default warning; trace is uvicorn's, debug for gosc)",
    )
    s.add_argument(
        "--guest-backend",
        choices=("rootfs", "netns"),
        default="rootfs",
        help="guests of the demo VMs: directory trees (rootfs) or live Linux namespaces (netns, root only)",
    )
    s.add_argument("--netns-prefix", default="gosc", help="netns backend: prefix of its namespaces (PREFIX-host ...)")
    s.add_argument(
        "--netns-network",
        action="append",
        metavar="PORTGROUP=CIDR",
        help="netns backend: a port group's bridge address, DHCP on it (default 'VM Network=192.168.10.1/24')",
    )
    s.add_argument(
        "--max-body-size",
        type=_size,
        default=16 << 20,
        metavar="BYTES",
        help="largest request body accepted (K/M/G suffixes); larger ones get HTTP 413 (default 16M)",
    )
    s.add_argument(
        "--header-timeout",
        type=_positive(float),
        default=10.0,
        metavar="SECONDS",
        help="time a connection has for its TLS handshake and then for each request head (default 10)",
    )
    s.add_argument(
        "--guest-reboot-seconds",
        type=_positive(float, zero=True),
        default=5.0,
        metavar="SECONDS",
        help="how long a guest stays down after RebootGuest before its tools come back (default 5)",
    )
    s.add_argument(
        "--keep-alive-timeout",
        type=_positive(int),
        default=300,
        metavar="SECONDS",
        help="time an idle kept-alive connection stays open (default 300: pyVmomi clients pause between "
        "calls and never reconnect); at the connection bound the one idle longest makes room for a new one",
    )
    s.add_argument(
        "--max-connections",
        type=_positive(int),
        default=1000,
        metavar="N",
        help="open connections served at once; past it a new connection replaces the one idle longest, "
        "or with none idle gets HTTP 503 (default 1000)",
    )
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
