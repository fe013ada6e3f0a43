"""GitLab's own semantics, written once and used by every command."""
