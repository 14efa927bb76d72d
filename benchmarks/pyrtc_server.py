"""PyRTC 2.0.2's own test server (``pyrtc.test.main``), bound to loopback.

PyRTC is the reference ssp v2 server written by RTCPool's author. Its package ships no
server command; its quickstart runs the select() polling loop of ``pyrtc.test.main``,
which binds 0.0.0.0 with a listen backlog of 5. This is that loop unchanged except for
the address (127.0.0.1: the benchmark never listens beyond loopback), the backlog
(1024, so that opening many sockets at once measures the server rather than SYN retries),
and one work-around: a socket is handed to PyRTC only once its HTTP upgrade request is
readable. PyRTC's TransceiverManager drops, after each poll, every transceiver whose
WebSocket is not open yet, so a connection accepted before its request arrived is never
served (40 peers connecting at once all time out without this).

It needs ``pip install pyrtc==2.0.2``, which pins h11 0.13 and wsproto 1.0: install it in
a venv of its own and name its python in PYRTC_PYTHON (benchmarks/README.md).

    python benchmarks/pyrtc_server.py --port 7001
"""

from __future__ import annotations

import argparse
import socket
import time

from pyrtc import pool, transceiver, transport
from pyrtc.test import can_accept, sockmanager


def main() -> None:
    parser = argparse.ArgumentParser(description="PyRTC 2.0.2's test server on loopback.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    pools = pool.PoolManager(False)  # public: a join creates its pool, as in pyrtc.test
    serv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    serv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serv.bind(("127.0.0.1", args.port))
    serv.setblocking(False)
    serv.listen(1024)
    mgr = sockmanager()
    accepted: list[socket.socket] = []
    try:
        while True:  # pyrtc.test.main's loop
            while can_accept(serv):
                accepted.append(serv.accept()[0])
            ready = [conn for conn in accepted if transport.can_read(conn)]
            accepted = [conn for conn in accepted if conn not in ready]
            for conn in ready:
                trans = transceiver.WebsocketTransceiver.of(conn)
                wsock = trans.socket
                wsock.receiver = transport.EventReceiver()
                wsock.transceiver = trans
                wsock.add_receiver(wsock.receiver)
                mgr.put(wsock)
                pools.add_endpoint(trans)
            pools.update()
            for sock in mgr:
                for name, data in sock.receiver:
                    if name == "describe":
                        pools.get_pool_for(sock.transceiver).describe(sock.transceiver, data)
            time.sleep(0.01)
    except KeyboardInterrupt:
        pass
    finally:
        serv.close()
        pools.close()


if __name__ == "__main__":
    main()
