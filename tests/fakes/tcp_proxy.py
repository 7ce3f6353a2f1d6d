"""A TCP proxy on 127.0.0.1 that a test can cut, to play a server that went away.

Bytes pass through unchanged both ways. :meth:`TcpProxy.cut` ends every connection through
it and refuses new ones (each is closed as soon as it is accepted), as when the server or
the network fails; :meth:`TcpProxy.restore` lets connections through again.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

__all__ = ["TcpProxy"]


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._open = True
        self._stopped = False
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, name="tcp proxy", daemon=True)
        self._thread.start()

    def url_for(self, url: str) -> str:
        """*url* (a postgresql:// URL on 127.0.0.1) with its port changed to the proxy's."""
        head, _, tail = url.partition("@")
        _, slash, database = tail.partition("/")
        return f"{head}@127.0.0.1:{self.port}{slash}{database}"

    def cut(self) -> None:
        with self._lock:
            self._open = False
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._open = True

    def close(self) -> None:
        self._stopped = True
        self.cut()
        _close(self._listener)
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                open_ = self._open
            if not open_:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self.accepted += 1
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        other = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in other:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select(timeout=1):
                        source: socket.socket = key.fileobj  # type: ignore[assignment]
                        data = source.recv(65536)
                        if not data:
                            raise OSError("closed")
                        other[source].sendall(data)
            except (OSError, ValueError):
                pass
            finally:
                _close(client)
                _close(upstream)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
