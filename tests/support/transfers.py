"""Guest file transfer URLs as a client reads them."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def client_url(url: str, server: str) -> str:
    """``url`` (``https://*:<port>/guestFile?...``) as govmomi's client reads it
    (``Client.ParseURL``): a host of ``*`` is the server the client called, port included.
    Replacing only the ``*`` fails when the server's port holds "443": gosc then writes
    ESXi's 443, for Ansible's rewrite (docs/decisions.md, "Transfer URLs")."""
    parts = urlsplit(url)
    if parts.hostname != "*":
        return url
    return urlunsplit(parts._replace(netloc=urlsplit(server).netloc))
