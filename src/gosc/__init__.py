"""gosc: vSphere guest OS customization, served and applied for real."""
