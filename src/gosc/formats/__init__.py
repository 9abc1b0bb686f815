"""What the server side and the guest side both read and write, and the rules they share.

``custcfg`` / ``custcfg_model`` (VMware's cust.cfg), ``deploypkg`` (the deploy package),
``answerfile`` (Windows unattend.xml), ``rules`` (host names, MACs, NIC names, the
primary NIC) and ``timezones``.  gosc.customization (the server side) and gosc.guest
(the guest side) import this package and never each other; this package imports
neither, nor pyVmomi, so the in-guest deploy path loads no vSphere code.
"""
