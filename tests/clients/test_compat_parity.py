"""The vcsim parity section of docs/compatibility.md is what tests/clients/parity.py makes from
vcsim 0.24's source and gosc's classes now, and every vcsim method gosc lacks has its reason."""

from __future__ import annotations

from tests.clients import compat, parity


def test_the_committed_parity_section_is_what_the_generator_makes() -> None:
    committed = parity.section_of(compat.DOC.read_text())
    assert committed, f"{compat.DOC} has no '{parity.HEADING}' section: run python -m tests.clients.compat --parity"
    made = parity.section_of(compat.with_parity(compat.DOC.read_text()))
    assert committed == made, f"{compat.DOC}'s parity section is stale: run python -m tests.clients.compat --parity"


def test_the_matrix_reads_both_sides() -> None:
    vcsim, ours = parity.vcsim_methods(), parity.gosc_methods()
    # Facts of vcsim 0.24's source and of gosc, read back: a parser that found nothing fails here.
    assert {"PowerOnVM_Task", "CreateSnapshot_Task", "setCustomValue"} <= vcsim["VirtualMachine"]
    assert {"CreateFolder", "CreateVM_Task", "RegisterVM_Task"} <= vcsim["Folder"]
    assert "Fetch" in vcsim["PropertyCollector"]  # govmomi's internal method, named as its request type
    assert {"CustomizeVM_Task", "InstantClone_Task", "setCustomValue"} <= ours["VirtualMachine"]
    assert "Customize" not in ours["VirtualMachine"]  # API names, not pyVmomi's
    assert len(vcsim) > 40 and sum(map(len, vcsim.values())) > 150


def test_a_missing_method_without_a_reason_and_a_stale_reason_are_caught() -> None:
    vcsim = {"VirtualMachine": {"PowerOnVM_Task", "MadeUpMethod"}, "Folder": {"CreateFolder"}}
    ours = {"VirtualMachine": {"PowerOnVM_Task", "RelocateVM_Task"}, "Folder": {"CreateFolder"}}
    problems = parity.check_reasons(vcsim, ours)
    assert "VirtualMachine.MadeUpMethod: vcsim implements it, gosc does not, and no reason says why" in problems
    # RelocateVM_Task's reason explains nothing here: gosc "has" it and vcsim lacks it.
    assert "VirtualMachine.RelocateVM_Task: a reason for nothing missing (gosc has it, or vcsim lacks it)" in problems
    assert parity.check_reasons(parity.vcsim_methods(), parity.gosc_methods()) == []
