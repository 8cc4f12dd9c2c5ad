"""The ports a SIPp party is given: sipp binds four from its media port (audio and video RTP with their RTCP), so
all four must be free, and none may come from the kernel's ephemeral range, where any socket can take one after
the check (ci18: a caller exited at its start, errno 98 on the video port)."""
import contextlib
import socket

from bereik.sandbox import sipp


def bound(ports: range) -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    for port in ports:
        stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)).bind(("127.0.0.1", port))
    return stack


def ephemeral() -> range:
    low, high = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    return range(low, high + 1)


def test_all_four_ports_of_a_block_are_free_and_outside_the_ephemeral_and_asterisks_rtp_range():
    for _ in range(50):
        first = sipp.free_udp_port()
        assert first > 20000 and first + 3 < ephemeral().start  # Asterisk's RTP: 10000-20000
        with bound(range(first, first + 4)):  # sipp's audio, audio RTCP, video, video RTCP
            pass


def test_a_block_with_any_port_taken_is_skipped():
    first = sipp.free_udp_port()
    taken = first + sipp.PORT_BLOCKS.step  # the next block's video port
    with bound(range(taken + 2, taken + 3)):
        given = sipp.free_udp_port()
    assert given != taken and given == taken + sipp.PORT_BLOCKS.step


def test_blocks_rotate_so_consecutive_parties_never_share_one():
    given = [sipp.free_udp_port() for _ in range(100)]
    assert len(set(given)) == 100
