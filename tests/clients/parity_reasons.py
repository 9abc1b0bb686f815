"""The data of the vcsim parity matrix (tests/clients/parity.py): each vcsim managed-object
type's area, and one line on why gosc lacks a method vcsim 0.24 implements.

A key is ``Type.Method`` or ``Type`` (every method of that type gosc lacks).  The generator
fails on a vcsim method gosc lacks with no reason here, and on a reason nothing needs (gosc
implements it now, or vcsim does not), so this table cannot drift from the two servers.
"""

from __future__ import annotations

# Each vcsim type's area, in the order of the table (issue 13's list first).
AREAS: dict[str, str] = {
    "VirtualMachine": "VMs",
    "EnvironmentBrowser": "VMs",
    "Folder": "folders",
    "Datacenter": "datacenters",
    "ClusterComputeResource": "clusters",
    "HostSystem": "hosts",
    "HostDatastoreSystem": "hosts",
    "HostFirewallSystem": "hosts",
    "HostLocalAccountManager": "hosts",
    "HostNetworkSystem": "hosts",
    "HostStorageSystem": "hosts",
    "DistributedVirtualSwitch": "networks",
    "DistributedVirtualPortgroup": "networks",
    "IpPoolManager": "networks",
    "Datastore": "datastores",
    "HostDatastoreBrowser": "datastores",
    "FileManager": "datastores",
    "StoragePod": "datastores",
    "StorageResourceManager": "datastores",
    "VirtualMachineSnapshot": "snapshots",
    "EventManager": "events",
    "EventHistoryCollector": "events",
    "SessionManager": "sessions",
    "UserDirectory": "sessions",
    "AuthorizationManager": "permissions",
    "CustomizationSpecManager": "customization",
    "GuestFileManager": "guest operations",
    "GuestProcessManager": "guest operations",
    "ResourcePool": "resource pools",
    "VirtualApp": "resource pools",
    "VirtualDiskManager": "virtual disks",
    "VcenterVStorageObjectManager": "virtual disks",
    "HttpNfcLease": "OVF",
    "OvfManager": "OVF",
    "PropertyCollector": "property collector",
    "PropertyFilter": "property collector",
    "ViewManager": "views",
    "ContainerView": "views",
    "ListView": "views",
    "SearchIndex": "search",
    "ServiceInstance": "service",
    "CustomFieldsManager": "custom fields",
    "OptionManager": "settings",
    "PerformanceManager": "performance",
    "LicenseManager": "licensing",
    "LicenseAssignmentManager": "licensing",
}

# Methods vcsim answers from outside the public vim25 API (govmomi's internal types): no client
# of the public API calls them, and pyVmomi has no type for them.
INTERNAL: dict[str, str] = {
    "Fetch": "govmomi's internal PropertyCollector call (one property of one object), not in vim25's WSDL",
    "RetrieveInternalContent": "govmomi's internal ServiceInstance call (the internal managers), not in vim25's WSDL",
}

_ONE_HOST = "gosc runs one host of its own (esx-01.gosc.local); there is no ESXi to connect"
_NO_DVS = "gosc networks are standard port groups on the host's vSwitch0; it has no distributed switches"
_ONE_DATASTORE = "gosc has one datastore (its data directory); adding others has nowhere to put them"
_NO_VAPP = "gosc has no vApps (a VM's guest tree is what it customizes; vApp containers add nothing to that)"
_DISKS = "gosc's VM disks are the guest's file tree, not disk images; there are no virtual disks to manage apart"

NOT_IMPLEMENTED: dict[str, str] = {
    "VirtualMachine.RefreshStorageInfo": "gosc computes storage usage at each read, so there is nothing to refresh",
    "VirtualMachine.RelocateVM_Task": "one host, one datastore and one pool: a VM has nowhere to be moved to",
    "Folder.AddStandaloneHost_Task": _ONE_HOST,
    "Folder.CreateDVS_Task": _NO_DVS,
    "Folder.CreateStoragePod": "gosc has one datastore, so no datastore clusters (storage pods)",
    "Datacenter.PowerOnMultiVM_Task": "no DRS placement: clients power VMs on one by one (PowerOnVM_Task)",
    "ClusterComputeResource.AddHost_Task": _ONE_HOST + " (MoveInto_Task moves it into a cluster)",
    "ClusterComputeResource.PlaceVm": "no DRS: gosc has one host, so there is no placement to recommend",
    "ClusterComputeResource.ReconfigureComputeResource_Task": "no DRS or HA to configure: a cluster is a folder-like"
    " container of VMs here",
    "HostSystem.EnterMaintenanceMode_Task": "the host runs gosc's guests; maintenance mode (no VM running) is not modelled",
    "HostSystem.ExitMaintenanceMode_Task": "the host never enters maintenance mode (see EnterMaintenanceMode_Task)",
    "HostDatastoreSystem.CreateLocalDatastore": _ONE_DATASTORE,
    "HostDatastoreSystem.CreateNasDatastore": _ONE_DATASTORE,
    "HostFirewallSystem": "the host has no firewall: gosc's server is the only service it runs",
    "HostLocalAccountManager": "host accounts are gosc's users (users.toml, the AuthorizationManager), not ESXi's",
    "HostNetworkSystem.AddPortGroup": 'the host\'s network is fixed: vSwitch0 with the "VM Network" port group',
    "HostNetworkSystem.AddVirtualSwitch": 'the host\'s network is fixed: vSwitch0 with the "VM Network" port group',
    "HostNetworkSystem.RemovePortGroup": 'the host\'s network is fixed: vSwitch0 with the "VM Network" port group',
    "HostNetworkSystem.RemoveVirtualSwitch": 'the host\'s network is fixed: vSwitch0 with the "VM Network" port group',
    "HostNetworkSystem.UpdateNetworkConfig": 'the host\'s network is fixed: vSwitch0 with the "VM Network" port group',
    "DistributedVirtualSwitch": _NO_DVS,
    "DistributedVirtualPortgroup": _NO_DVS,
    "IpPoolManager": "no IP pools: a customization spec gives each NIC its address (or DHCP)",
    "Datastore.RefreshDatastore": "gosc computes capacity and free space at each read, so there is nothing to refresh",
    "FileManager": "a datastore holds only VMs' files; gosc manages them through the VMs, not as loose files",
    "StoragePod": "gosc has no datastore clusters (storage pods)",
    "StorageResourceManager": "gosc has no datastore clusters, so no Storage DRS",
    "SessionManager.AcquireGenericServiceTicket": "gosc has no other services (vSphere's web services) to hand a ticket"
    " for",
    "SessionManager.LoginByToken": "no SSO: gosc logs users in by name and password (users.toml)",
    "SessionManager.LoginExtensionByCertificate": "no extension certificates: extensions log in as users",
    "UserDirectory": "gosc has no directory service: its users are those of users.toml",
    "ResourcePool.CreateResourcePool": "one root pool per host: gosc does not divide resources, so child pools add"
    " nothing",
    "ResourcePool.UpdateConfig": "the root pool's allocation is the host's; gosc enforces no shares or limits",
    "ResourcePool.CreateVApp": _NO_VAPP,
    "ResourcePool.ImportVApp": "no OVF import: gosc VMs come from CreateVM_Task, clones and registration",
    "VirtualApp": _NO_VAPP,
    "VirtualDiskManager": _DISKS,
    "VcenterVStorageObjectManager": _DISKS,
    "HttpNfcLease": "no OVF import or export (see OvfManager)",
    "OvfManager": "no OVF import: gosc VMs come from CreateVM_Task, clones and registration",
    "SearchIndex.FindByDatastorePath": "gosc finds VMs by name, UUID, IP, DNS name and inventory path, not by"
    " datastore path",
    "PerformanceManager.QueryPerf": "gosc publishes the counter catalogue but collects no statistics",
    "LicenseManager": "gosc needs no licence: its one evaluation licence cannot be changed",
}
