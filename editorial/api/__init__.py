"""The agent API (/api/v1): JSON over the same operations as the desk."""
