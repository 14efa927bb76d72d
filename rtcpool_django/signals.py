"""Signals a site connects to for its own bookkeeping (sent after the change is committed).

- ``peer_joined(sender=Peer, peer, pool)``
- ``peer_left(sender=Peer, peer_id, pool, reason)``; ``reason`` is one of ``"left"``,
  ``"kicked"``, ``"pruned"`` (its worker died), ``"closed"`` (its pool was closed) or
  ``"unavailable"`` (its channel refused a notice, so it was evicted)
- ``pool_closed(sender=Pool, pool)``
- ``description_changed(sender=Peer, peer, description)``

Receivers run synchronously in the thread that did the change, as Django's own
``user_logged_in`` does; keep them quick or hand work to a task queue. Inside a caller's
``atomic()`` block they wait for it to commit (``transaction.on_commit``), and none is sent
for a change rolled back. A receiver that raises is logged (``Signal.send_robust``): the
change is committed, and the other receivers and the peers' notices still follow.
"""

from django.dispatch import Signal

peer_joined = Signal()
peer_left = Signal()
pool_closed = Signal()
description_changed = Signal()
