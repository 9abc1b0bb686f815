"""The web console at /ui/: server-rendered pages on the same users, sessions and read rule
as the API (docs/ui.md).  ``routes.ui_routes`` is what the server mounts."""
