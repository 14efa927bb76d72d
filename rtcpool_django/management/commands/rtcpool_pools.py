from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rtcpool_django import pools
from rtcpool_django.models import Access


class Command(BaseCommand):
    help = "List pools with their number of live peers (and, with --peers, the peers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--peers", action="store_true", help="Also list each live peer.")

    def handle(self, *args: Any, peers: bool, **options: Any) -> None:
        for pool in pools.list_pools():
            state = "open" if pool.is_open else "closed"
            who = f" {pool.access}" if pool.access != Access.PUBLIC else ""
            private = " private" if pool.private else ""
            limit = f" max {pool.max_peers}" if pool.max_peers is not None else ""
            line = f"{pool.name}\t{pool.peer_count} peers\t{state}{who}{private}{limit}"
            self.stdout.write(line)
            if peers:
                for peer in pools.live_peers(pool):
                    user = peer.user.get_username() if peer.user else "-"
                    self.stdout.write(f"  {peer.id}\t{user}\t{peer.worker}\t{peer.joined:%c}")
