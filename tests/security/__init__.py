"""Containment and hardening: each test reproduces a way out that was open before."""
