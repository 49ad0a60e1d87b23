"""read_stream takes a path, bytes, a file object or a socket (docs/token-stream.md §10)."""

import io
import pathlib
import socket
import threading

import pytest

from helpers import DATA, fixture, key
from vtok_stream import Header, Tokens, End, read_stream

EXPECTED = [key(e) for e in read_stream(fixture("basic.vtok"))]


def test_path_str_and_pathlib():
    path = f"{DATA}/basic.vtok"
    assert [key(e) for e in read_stream(path)] == EXPECTED
    assert [key(e) for e in read_stream(pathlib.Path(path))] == EXPECTED


def test_bytes_bytearray_memoryview_and_file_objects():
    data = fixture("basic.vtok")
    for src in (data, bytearray(data), memoryview(data), io.BytesIO(data), io.BufferedReader(io.BytesIO(data))):
        assert [key(e) for e in read_stream(src)] == EXPECTED


def test_a_connected_socket_read_as_the_bytes_arrive():
    data = fixture("basic.vtok")
    a, b = socket.socketpair()
    def send():
        with a:
            for i in range(0, len(data), 17):         # dribbled in small pieces
                a.sendall(data[i:i + 17])
    t = threading.Thread(target=send)
    t.start()
    with b:
        events = [key(e) for e in read_stream(b, chunk_size=64)]
    t.join()
    assert events == EXPECTED


def test_a_text_file_or_other_object_is_a_clear_type_error(tmp_path):
    p = tmp_path / "x.vtok"
    p.write_bytes(fixture("basic.vtok"))
    with open(p, "r", encoding="latin-1") as f, pytest.raises(TypeError, match="binary"):
        list(read_stream(f))
    with pytest.raises(TypeError, match="path, bytes"):
        list(read_stream(42))


def test_a_missing_path_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(read_stream(str(tmp_path / "absent.vtok")))


def test_a_unix_socket_path_is_connected_to(tmp_path):
    """As a client of `vtok serve --source`: the socket's path, connected and read to its end."""
    data = fixture("basic.vtok")
    path = str(tmp_path / "vtok.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(data)
    t = threading.Thread(target=serve)
    t.start()
    try:
        assert [key(e) for e in read_stream(path)] == EXPECTED
    finally:
        t.join(timeout=10)
        server.close()
