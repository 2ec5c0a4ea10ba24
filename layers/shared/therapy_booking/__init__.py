"""Therapy-session booking: domain, ports, AWS adapters and HTTP API layer."""
