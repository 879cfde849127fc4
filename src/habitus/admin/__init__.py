"""Administration: users, invites, disabling accounts."""
