"""EventManager.description: what each event type is, its category and its message format.

Clients read it to label events: govc's ``events`` takes an event's category ("info",
"warning", "error", "user") from ``description.eventInfo`` by the event's type name, and
vCenter's clients build messages from ``fullFormat``.  The table covers every event type a
gosc server posts; the descriptions are vCenter's (its event reference), the categories
vCenter's where known and otherwise decided in docs/decisions.md ("Event categories").
"""

from __future__ import annotations

from functools import cache

from pyVmomi import vim

from ..vim import types as T

# type name -> (description, category, full format with vCenter's {argument.name} placeholders)
_EVENTS: dict[str, tuple[str, str, str]] = {
    "UserLoginSessionEvent": ("User login", "info", "User {userName}@{ipAddress} logged in as {userAgent}"),
    "UserLogoutSessionEvent": ("User logout", "info", "User {userName}@{ipAddress} logged out"),
    "SessionTerminatedEvent": ("Session stopped", "info", "A session for user '{terminatedUsername}' has stopped"),
    "VmPoweredOnEvent": ("VM powered on", "info", "{vm.name} on {host.name} in {datacenter.name} is powered on"),
    "VmPoweredOffEvent": ("VM powered off", "info", "{vm.name} on {host.name} in {datacenter.name} is powered off"),
    "VmStartingEvent": ("VM starting", "info", "{vm.name} on {host.name} in {datacenter.name} is starting"),
    "VmStoppingEvent": ("VM stopping", "info", "{vm.name} on {host.name} in {datacenter.name} is stopping"),
    "VmResettingEvent": ("VM resetting", "info", "{vm.name} on {host.name} in {datacenter.name} is reset"),
    "VmSuspendingEvent": (
        "VM being suspended",
        "info",
        "{vm.name} on {host.name} in {datacenter.name} is being suspended",
    ),
    "VmSuspendedEvent": ("VM suspended", "info", "{vm.name} on {host.name} in {datacenter.name} is suspended"),
    "VmResumingEvent": ("VM resuming", "info", "{vm.name} on {host.name} in {datacenter.name} is resumed"),
    "VmGuestRebootEvent": ("Guest reboot", "info", "Guest OS reboot for {vm.name} on {host.name} in {datacenter.name}"),
    "VmGuestShutdownEvent": (
        "Guest OS shut down",
        "info",
        "Guest OS shut down for {vm.name} on {host.name} in {datacenter.name}",
    ),
    "VmGuestStandbyEvent": (
        "Guest standby",
        "info",
        "Guest OS standby for {vm.name} on {host.name} in {datacenter.name}",
    ),
    "VmReconfiguredEvent": ("VM reconfigured", "info", "Reconfigured {vm.name} on {host.name} in {datacenter.name}"),
    "VmRenamedEvent": ("VM renamed", "info", "Renamed {vm.name} from {oldName} to {newName} in {datacenter.name}"),
    "VmBeingClonedEvent": (
        "VM being cloned",
        "info",
        "Cloning {vm.name} on host {host.name} in {datacenter.name} to {destName}",
    ),
    "VmClonedEvent": ("VM cloned", "info", "Clone of {sourceVm.name} completed"),
    "VmCreatedEvent": ("VM created", "info", "Created virtual machine {vm.name} on {host.name} in {datacenter.name}"),
    "VmRemovedEvent": ("VM removed", "info", "Removed {vm.name} on {host.name} from {datacenter.name}"),
    "VmInstanceUuidAssignedEvent": (
        "Assign a new instance UUID",
        "info",
        "Assign a new instance UUID ({instanceUuid}) to {vm.name}",
    ),
    "VmMacAssignedEvent": (
        "VM MAC assigned",
        "info",
        "New MAC address ({mac}) assigned to adapter {adapter} for {vm.name}",
    ),
    "TaskEvent": ("Task event", "info", "Task: {info.descriptionId}"),
    "PermissionAddedEvent": (
        "Permission added",
        "info",
        "Permission created for {principal} on {entity.name}, role is {role.name}",
    ),
    "PermissionRemovedEvent": (
        "Permission removed",
        "info",
        "Permission rule removed for {principal} on {entity.name}",
    ),
    "PermissionUpdatedEvent": ("Permission updated", "info", "Permission changed for {principal} on {entity.name}"),
    "RoleAddedEvent": ("Role added", "info", "New role {role.name} created"),
    "RoleRemovedEvent": ("Role removed", "info", "Role {role.name} removed"),
    "RoleUpdatedEvent": ("Role updated", "info", "Modified role {role.name}"),
    "CustomFieldDefAddedEvent": ("Custom field definition added", "info", "Created new custom field definition {name}"),
    "CustomFieldDefRemovedEvent": ("Custom field definition removed", "info", "Removed field definition {name}"),
    "CustomFieldValueChangedEvent": (
        "Custom field value changed",
        "info",
        "Changed custom field {name} on {entity.name} to {value}",
    ),
    "CustomizationStartedEvent": (
        "Started customization",
        "info",
        "Started customization of VM {vm.name}. Customization log located at {logLocation} in the guest OS.",
    ),
    "CustomizationSucceeded": (
        "Customization succeeded",
        "info",
        "Customization of VM {vm.name} succeeded. Customization log located at {logLocation} in the guest OS.",
    ),
    "CustomizationFailed": (
        "Cannot complete customization",
        "error",
        "Cannot complete customization of VM {vm.name}. See customization log at {logLocation} on the guest OS for details.",
    ),
    "CustomizationUnknownFailure": (
        "Unknown customization error",
        "error",
        "An error occurred while setting up customization for VM {vm.name}. See customization log at {logLocation} on the guest OS for details.",
    ),
    "CustomizationLinuxIdentityFailed": (
        "Cannot customize Linux identity",
        "error",
        "An error occurred while setting up Linux identity. See log file '{logLocation}' on guest OS for details.",
    ),
    "CustomizationNetworkSetupFailed": (
        "Cannot complete customization network setup",
        "error",
        "An error occurred while setting up network properties of the guest OS. See the log file {logLocation} in the guest OS for details.",
    ),
    "CustomizationSysprepFailed": (
        "Cannot complete Sysprep",
        "error",
        "The version of Sysprep {sysprepVersion} provided for customizing VM {vm.name} does not match the version of guest OS {systemVersion}. See the log file {logLocation} in the guest OS for more information.",
    ),
}

_CATEGORIES = (("info", "Information"), ("warning", "Warning"), ("error", "Error"), ("user", "User"))


@cache
def _description() -> vim.event.EventDescription:
    return vim.event.EventDescription(
        category=[vim.ElementDescription(key=k, label=label, summary=label) for k, label in _CATEGORIES],
        eventInfo=[
            vim.event.EventDescription.EventDetail(
                key=T.lookup_type(key),
                description=text,
                category=category,
                fullFormat=fmt,
                formatOnVm="",
                formatOnHost="",
                formatOnComputeResource="",
                formatOnDatacenter="",
            )
            for key, (text, category, fmt) in _EVENTS.items()
        ],
    )


def event_description() -> vim.event.EventDescription:
    """The same answer for everyone (it describes types, not events): built once."""
    return _description()
