def describe_new_peer(scope, user, pool):
    """The description the other peers see: the signed-in user's name, or "guest"."""
    return {"name": (user.get_full_name() or user.get_username()) if user else "guest"}
