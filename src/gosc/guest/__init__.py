"""The guest side: the tools agent, its channel to the host, and the in-guest engine."""
