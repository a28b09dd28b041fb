"""Chain access: contract artifacts, deployment and connections."""
