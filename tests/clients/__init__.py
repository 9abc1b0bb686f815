"""Real client tools (govc 0.24, Ansible 12.3.0) against gosc and vcsim 0.24 (docs/compatibility.md)."""
