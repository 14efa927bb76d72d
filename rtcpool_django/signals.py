"""Signals a site connects to for its own bookkeeping (sent after the change is committed).

- ``peer_joined(sender=Peer, peer, pool)``
- ``peer_left(sender=Peer, peer_id, pool, reason)``; ``reason`` is one of ``"left"``,
  ``"kicked"``, ``"pruned"`` (its worker died), ``"closed"`` (its pool was closed) or
  ``"unavailable"`` (its channel refused a notice, so it was evicted)
- ``pool_closed(sender=Pool, pool)``
- ``description_changed(sender=Peer, peer, description)``

Receivers run synchronously in the thread that did the change, as Django's own
``user_logged_in`` does; keep them quick or hand work to a task queue.
"""

from django.dispatch import Signal

peer_joined = Signal()
peer_left = Signal()
pool_closed = Signal()
description_changed = Signal()
