"""Live guests in Linux namespaces (needs root).

Modules: ``backend`` (power, the tools agents, NIC link state), ``switch`` (bridges and
DHCP in the host namespace), ``layers`` (the guests' overlay trees), ``guest_host`` (what
the backend does for a sandboxed agent), ``processes`` (starting, watching, killing).

A powered-on VM is

* a *holder* process (``sleep infinity`` started by ``unshare --net --uts --mount``) that
  owns the guest's network, UTS and mount namespaces; its network namespace is also
  named ``<prefix>-<moId>`` (``ip netns attach``) so that ``ip netns exec`` can look in;
* the guest tree mounted at ``<data>/guests/<instanceUuid>/root`` *inside* the guest's
  mount namespace only (an overlay of the VM's layers, see below): on the machine that
  path is an empty directory, so nothing is left mounted outside a guest;
* one veth pair per NIC: the guest end named as the guest expects (its
  ``sys/class/net/<if>``, e.g. ``ens192``) with the VM's MAC, the host end ``v<n>-<i>``
  on the port group's bridge in the gosc host namespace ``<prefix>-host``.  The NIC's
  ``connectable.connected`` is the host end's link state, kept in step by listening to
  inventory changes (an instant clone's NICs come up when its customization succeeds);
* the tools agent, ``python -m gosc.guest.agent_process``, in a sandbox made inside the
  guest's network and UTS namespaces (gosc.guest.runtime.agent_spec: the guest tree as
  ``/``, its runtime read-only under /usr/lib/gosc-tools, its own mount, PID and IPC
  namespaces, host uid 0 with only CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE,
  no_new_privs), talking to the VM's ToolsConnection over an inherited Unix socket.  What
  it may not do the backend does for it (``_GuestHost``): set the guest's host name, and
  run a custom script's sandbox in the guest's network namespace.

The virtual switch: the host namespace holds one Linux bridge per port group; a port
group with an address (``VM Network`` = 192.168.10.1/24 by default) gets it on its bridge
and a dnsmasq (Debian's dnsmasq-base) serving DHCP on it.  The machine's own network
namespace is never touched.

Trees are overlayfs layers under ``<data>/guests/<instanceUuid>/``: ``layers/<n>``
directories and ``state.json`` naming the VM's writable ``upper`` layer and its read-only
``lowers`` (paths relative to the guests directory).  A VM made from a skeleton has the
skeleton as ``layers/0`` and an empty upper.  An instant clone is copy-on-write: first the
source's upper, when it holds changes, is frozen (a stopped source's becomes one of its
lowers under a fresh upper: vSphere's "delta disk for both"; a running source's is copied
into a new read-only layer, as its agent's sandbox keeps writing to the upper it mounted),
then the child gets those layers and an empty upper of its own, with its MACs.  Snapshots
are frozen the same way (gosc.backends.netns.layers).
A destroyed VM keeps the layers its clones still read until the last of them is gone.

Every process gosc starts here carries ``GOSC_NETNS_OWNER=<prefix>`` in its environment
and dies with the server (``setpriv --pdeathsig KILL``; sandboxes: bwrap's
--die-with-parent from gosc.guest.sandbox's launcher thread); namespaces are named with
the prefix.  ``recover()`` (at start and at stop) kills and removes whatever carries them.
"""

from .backend import DEFAULT_NETWORKS, NetnsBackend, parse_network

__all__ = ["DEFAULT_NETWORKS", "NetnsBackend", "parse_network"]
