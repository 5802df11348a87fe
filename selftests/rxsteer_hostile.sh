#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile and odd frames (issue 5, item 5). rxsteer is attached to vrx
# with rx-0's mask on CPUs 1..N-1; frames built byte by byte (python3,
# struct, no scapy) are injected from vtx with an AF_PACKET socket on
# CPU 0, so that they all arrive on CPU 0 without a hash (the flow
# dissector computes one). IPv6 is off on the sender's side, so that
# nothing but the injected frames reaches vrx. For every batch:
#
#   - rxsteer saw each frame once (rx-0/seen) and each has exactly one
#     counted outcome (steered_out, non_ip, ...: sysfs-abi.rst invariant
#     5), every steered frame was re-delivered (processed, redelivered)
#     and every backlog is empty afterwards: nothing lost uncounted;
#     nothing was dropped (drop_backlog, drop_nomem, drop_flow_limit: 0);
#   - with the rxs_steer tracepoint, one decision per IP frame, made on
#     the arrival CPU 0, and the CPU is mask[reciprocal_scale(hash)]: a
#     deterministic function of the hash; frames of one flow, datagram or
#     malformed variant all on one CPU;
#   - what the stack then did: datagrams delivered to UDP sockets (with
#     their full length), or the kernel counter that counted the drop
#     (the namespace's SNMP counters, as nstat names them, and vrx's
#     rx_dropped and rx_otherhost_dropped).
#
# Under TCG every process start costs, so one python3 process per batch
# reads the counters before and after, sends, receives, waits for the
# backlogs to drain and pairs the trace events with the frames; the
# script reads its report with shell builtins.
#
# Cases and what they show:
#   malformed  runts (Ethernet header alone, half an IPv4 header), IPv4
#              header less 1 byte, IHL 3, IHL 15, tot_len past the end,
#              4-byte UDP and 10-byte TCP headers, the IPv6 equivalents and
#              a truncated fragment header: all hashed (the dissector hashes
#              what it could parse; never 0) and steered like any IP frame,
#              each variant to one CPU; the IP layer counts every one as a
#              header error, a truncated packet, a UDP error or (TCP, for
#              which the kernel counts no error) an InSeg. Again with RFS
#              on: same outcome, each frame an RFS miss.
#   frag4/6    18 UDP datagrams of 3 fragments each (IPv4, and IPv6 with a
#              fragment header), sent first/last/middle and interleaved: the
#              dissector does not read ports of fragments, so every fragment
#              of a datagram, and every datagram of a source, is on one CPU;
#              all 18 reassembled and delivered.
#   ext6       UDP behind hop-by-hop, routing (type 0, segments left 0) and
#              destination options headers: the dissector skips them, so a
#              flow hashes exactly as without them (same hash, same CPU).
#   nonip      ARP (answered), ethertype 0x88b5 and an 802.3/LLC frame:
#              non_ip, not steered, no rxs_steer event; unknown protocols
#              are counted in the device's rx_dropped.
#   vlan       802.1Q tags are removed by the core (skb_vlan_untag()) before
#              the rx_handler, which sees the inner protocol. With no vlan
#              device for the VID, a tagged IPv4 frame is steered as IPv4,
#              then dropped as PACKET_OTHERHOST (rx_otherhost_dropped);
#              priority-tagged (VID 0) frames are steered and delivered;
#              802.1ad-over-802.1Q (QinQ) frames show 0x8100 after one
#              untagging: non_ip. With a vlan device vrx.100,
#              vlan_do_receive() moves the frames to it before vrx's
#              rx_handler: vrx's rxsteer never sees them (seen +0) and they
#              are delivered unsteered; rxsteer attached to vrx.100 itself
#              steers them (vrx.100's seen, events dev=vrx.100).
#   gre        IPv4 GRE to a gre device: the flow dissector goes through
#              GRE, so frames are steered by the inner flow's hash (the
#              same hash as the inner packet sent bare); all delivered
#              through gre1 (and the bare ones through vrx).
#   vxlan      VXLAN to a vxlan device: the dissector stops at the outer
#              UDP header, so 8 inner flows under one outer source port
#              share one hash and one CPU; all delivered through vx0.
#   xdp        a generic XDP program on vrx (xdp-filter from xdp-tools,
#              skb mode, dropping UDP to port 7777): dropped frames never
#              reach rxsteer (seen counts only the others), passed frames
#              are steered and delivered, and the program runs twice per
#              steered frame (XDP_PASS = 2 x steered; limitations.rst).
#              Skipped when xdp-filter or bpffs is missing.
#
# The vlandev, gre and vxlan parts are skipped when the kernel cannot
# create the device they need.
#
# The kernel log must stay clean.

source "$(dirname "$0")/lib.sh"

rxs_require_root
rxs_require_ko
rxs_require_cpus 3
rxs_require_cmd python3
rxs_require_tracefs
tr=$RXS_TRACEFS

echo "TAP version 13"
rxs_dmesg_mark
rxs_load || rxs_skip_all "insmod failed"
[ -d "$tr/events/rxsteer/rxs_steer" ] ||
	rxs_skip_all "no rxsteer:rxs_steer tracepoint"
rxs_veth_setup || rxs_skip_all "cannot create veth namespaces"
RX=$RXS_NS_RX
RXS_NS=$RX
vd=/sys/class/net/vrx/rxsteer
last=$(( $(nproc) - 1 ))
mask=$(seq -s, 1 "$last")
rxs_write "$vd/enabled" 1 >/dev/null || rxs_skip_all "cannot attach"
rxs_write "$vd/rx-0/cpus_list" "1-$last" >/dev/null
rxs_write "$vd/backlog_limit" 100000 >/dev/null
# Nothing but the injected frames on vrx: no IPv6 on the sender's side (no
# MLD or ND from there), and none on the devices created below in the
# receiver's namespace (their MLD would draw ICMP errors back). Sources
# other than the sender's address (fragments, GRE's inner packets sent
# bare) must pass rp_filter.
ip netns exec "$RXS_NS_TX" sh -c 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$f"; done'
ip netns exec "$RX" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.vrx.rp_filter=0
smac=$(ip -n "$RXS_NS_TX" -br link show vtx | awk '{ print $3 }')
dmac=$(ip -n "$RX" -br link show vrx | awk '{ print $3 }')
py=$rxs_tmp/hostile.py
# Debian's interpreter when there is one (not a version manager's shim:
# under TCG every process start counts); -S: the standard library only.
PY="$(command -v /usr/bin/python3 || command -v python3) -S"

# The frame injector and checker, in python3 (no scapy).
write_py()
{
	cat > "$py" <<'PYEOF'
#!/usr/bin/env python3
# rxsteer_hostile.sh's frame injector and checker (no scapy).
#
#   hostile.py CASE --txns NSPATH --smac MAC --dmac MAC --cpus LIST
#                   --devs "DEV..." --tracedev DEV [--vxmac MAC]
#
# Runs in the receiver's network namespace, with tracefs' trace_pipe open
# as fd 3 and the rxsteer:rxs_steer event enabled:
#   1. reads the counters: rxsteer's (/proc/net/rxsteer_stat, summed over
#      CPUs; DEV.seen and DEV.steered of rx-0 of each of --devs), the
#      namespace's SNMP counters (named as nstat names them) and vrx's
#      rx_dropped, rx_nohandler and rx_otherhost_dropped (rtnetlink);
#   2. binds UDP receivers (ports 7000-7015 and 7777, IPv4 and IPv6, any
#      address), enters NSPATH and sends the frames of CASE on vtx with an
#      AF_PACKET socket, pinned to CPU 0;
#   3. reads the receivers until every datagram expected arrived (and
#      0.5 s more) or 10 s passed; waits until every rxsteer backlog is
#      empty and all that was queued was re-delivered; reads the counters
#      again and the events from fd 3;
#   4. pairs the rxs_steer events of --tracedev, in order, with the frames
#      of kind "ip", in order, and checks them against the mask --cpus.
# Prints "frame IDX KIND GROUP FLOW" per frame sent, "count KEY N" (KEY
# kind:KIND or group:GROUP), "delta NAME N" per counter, "after NAME N"
# (backlog and vrx's link counters),
# "chk NAME VALUE" (the trace checks, "expect", "badlen", "arp_replies",
# "settled"), "stack NAME N" (how much a kernel counter must grow) and
# "delivered GROUP GOT WANT" per datagram group.
import ctypes
import os
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TX4, RX4 = "198.51.100.1", "198.51.100.2"
TX6, RX6 = "2001:db8::1", "2001:db8::2"
PORTS = list(range(7000, 7016)) + [7777]
K = 8                                   # copies of each malformed variant


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def a4(a):
    return socket.inet_pton(socket.AF_INET, a)


def a6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def ip4(src, dst, proto, payload, ident=1, frag=0, ihl=5, tot=None):
    if tot is None:
        tot = 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, ident, frag, 64,
                    proto, 0, a4(src), a4(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6(src, dst, nh, payload, plen=None):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB", 6 << 28, plen, nh, 64) + a6(src) + a6(dst) + \
        payload


def udp(fam, src, dst, sport, dport, data):
    n = 8 + len(data)
    u = struct.pack("!HHHH", sport, dport, n, 0) + data
    if fam == 4:
        ph = a4(src) + a4(dst) + struct.pack("!BBH", 0, 17, n)
    else:
        ph = a6(src) + a6(dst) + struct.pack("!IxxxB", n, 17)
    return u[:6] + struct.pack("!H", csum(ph + u) or 0xFFFF) + u[8:]


def payload(group, n=64):
    """n bytes naming their group and their own length."""
    tag = b"H5 %s %d\n" % (group.encode(), n)
    return tag + b"x" * (n - len(tag))


def opts6(nh):
    """Hop-by-hop or destination options header: one PadN option."""
    return struct.pack("!BB", nh, 0) + b"\x01\x04\0\0\0\0"


class Case:
    def __init__(self, smac, dmac, vxmac):
        self.smac, self.dmac, self.vxmac = smac, dmac, vxmac
        self.frames = []        # (kind, group, flow, bytes)
        self.expect = {}        # group -> datagrams expected at a socket
        self.stack = {}         # counter -> how much it must grow

    def add(self, kind, group, flow, frame):
        self.frames.append((kind, group, flow, frame))

    def e(self, etype, data, dmac=None):
        return eth(dmac or self.dmac, self.smac, etype, data)

    def want(self, group, n=1):
        self.expect[group] = self.expect.get(group, 0) + n

    def counts(self, name, n=1):
        self.stack[name] = self.stack.get(name, 0) + n

    def udp4(self, group, src, dst, sport, dport, n=64):
        return ip4(src, dst, 17, udp(4, src, dst, sport, dport,
                                     payload(group, n)))

    def udp6(self, group, src, dst, sport, dport, n=64):
        return ip6(src, dst, 17, udp(6, src, dst, sport, dport,
                                     payload(group, n)))

    def quiet(self):
        """Nothing: the counters over the linger time."""

    # -- runts and truncated headers: never delivered; each variant with
    # the counter the kernel counts its drop in (TCP counts no error for a
    # short header, only the segment) ---------------------------------
    def malformed(self):
        u4 = udp(4, TX4, RX4, 7100, 7000, payload("never"))
        u6 = udp(6, TX6, RX6, 7100, 7000, payload("never"))
        good4 = ip4(TX4, RX4, 17, u4)
        good6 = ip6(TX6, RX6, 17, u6)
        tcp = b"\x1b\x58\x1b\x58" + b"\0" * 6     # 10 of 20 bytes
        v4, v6 = (0x0800, "Ip"), (0x86DD, "Ip6")
        variants = [
            ("runt4_0", v4, b"", "IpInHdrErrors"),  # Ethernet header only
            ("runt4_10", v4, good4[:10], "IpInHdrErrors"),
            ("trunc4_19", v4, good4[:19], "IpInHdrErrors"),
            ("ihl3", v4, ip4(TX4, RX4, 17, u4, ihl=3), "IpInHdrErrors"),
            ("ihl15", v4, ip4(TX4, RX4, 17, u4[:8], ihl=15),
             "IpInHdrErrors"),
            ("totlen", v4, ip4(TX4, RX4, 17, u4[:8], tot=200),
             "IpExtInTruncatedPkts"),
            ("udp4_4", v4, ip4(TX4, RX4, 17, u4[:4]), "UdpInErrors"),
            ("tcp4_10", v4, ip4(TX4, RX4, 6, tcp), "TcpInSegs"),
            ("runt6_0", v6, b"", "Ip6InHdrErrors"),
            ("trunc6_30", v6, good6[:30], "Ip6InHdrErrors"),
            ("plen6", v6, ip6(TX6, RX6, 17, u6[:8], plen=300),
             "Ip6InTruncatedPkts"),
            ("udp6_4", v6, ip6(TX6, RX6, 17, u6[:4]), "Udp6InErrors"),
            ("tcp6_10", v6, ip6(TX6, RX6, 6, tcp), "TcpInSegs"),
            ("frag6_trunc", v6, ip6(TX6, RX6, 44, b"\x11\0\0"),
             "Ip6InHdrErrors"),
        ]
        for _ in range(K):
            for name, (et, mib), data, drop in variants:
                self.add("ip", name, name, self.e(et, data))
                self.counts(mib + "InReceives")
                self.counts(drop)

    # -- IPv4 and IPv6 fragments, out of order and interleaved ---------
    def _frag_plan(self, fam):
        """16 datagrams from 16 sources, 2 more from the first source."""
        dgs = []
        for i in range(18):
            host = 1 if i >= 16 else (1 if i == 0 else 10 + i)
            src = ("198.51.100.%d" % host) if fam == 4 else \
                ("2001:db8::%x" % host)
            dst = RX4 if fam == 4 else RX6
            group = "frag%d_d%d" % (fam, i)
            data = udp(fam, src, dst, 7100 + i, 7000 + i % 16,
                       payload(group, 2400))
            dgs.append((group, "src%d" % host, src, dst, 0x4000 + i, data))
        return dgs

    def frag4(self):
        dgs = self._frag_plan(4)
        cuts = [(0, 1000), (2000, len(dgs[0][5])), (1000, 2000)]
        for a, b in cuts:                   # first, last, then middle
            for group, flow, src, dst, ident, data in dgs:
                more = 0x2000 if b < len(data) else 0
                self.add("ip", group, flow, self.e(0x0800, ip4(
                    src, dst, 17, data[a:b], ident=ident,
                    frag=more | (a // 8))))
        for group, *_ in dgs:
            self.want(group)
        self.counts("IpReasmOKs", len(dgs))
        self.counts("IpReasmFails", 0)

    def frag6(self):
        dgs = self._frag_plan(6)
        cuts = [(0, 1000), (2000, len(dgs[0][5])), (1000, 2000)]
        for a, b in cuts:
            for group, flow, src, dst, ident, data in dgs:
                more = 1 if b < len(data) else 0
                fh = struct.pack("!BBHI", 17, 0, a | more, ident)
                self.add("ip", group, flow, self.e(0x86DD, ip6(
                    src, dst, 44, fh + data[a:b])))
        for group, *_ in dgs:
            self.want(group)
        self.counts("Ip6ReasmOKs", len(dgs))
        self.counts("Ip6ReasmFails", 0)

    # -- IPv6 extension headers before UDP, and the same flows without ---
    def ext6(self):
        for p in range(4):
            for i in range(8):
                for ext in (True, False):
                    group = ("ext6_f%d" if ext else "plain6_f%d") % i
                    u = udp(6, TX6, RX6, 7100 + i, 7000 + i,
                            payload(group))
                    if ext:
                        rh0 = struct.pack("!BBBB4x", 60, 0, 0, 0)
                        data = ip6(TX6, RX6, 0, opts6(43) + rh0 +
                                   opts6(17) + u)
                    else:
                        data = ip6(TX6, RX6, 17, u)
                    self.add("ip", group, "f%d" % i, self.e(0x86DD, data))
                    self.want(group)

    # -- non-IP ethertypes: unknown ones end in the device's rx_dropped;
    # 802.3/LLC too, unless an 802.2 handler (llc) is registered, which
    # frees them without a counter ---------------------------------------
    def nonip(self):
        bcast = b"\xff" * 6
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, self.smac,
                          a4(TX4), b"\0" * 6, a4(RX4))
        for _ in range(K):
            self.add("nonip", "arp", "arp", self.e(0x0806, arp, bcast))
            self.add("nonip", "local_88b5", "x",
                     self.e(0x88B5, b"rxsteer hostile" + b"\0" * 31))
            # 802.3 length field and an LLC header (SNAP-less, DSAP 0x42)
            self.add("nonip", "llc", "x",
                     self.e(0x0026, b"\x42\x42\x03" + b"\0" * 35))
            self.counts("vrx.rx_dropped", 1 if has_ptype("0004") else 2)

    # -- VLAN-tagged frames on the attached device ----------------------
    def _tagged(self, tci, inner):
        return self.e(0x8100, struct.pack("!HH", tci, 0x0800) + inner)

    def vlan(self):
        otherhost = linkstats("vrx")["rx_otherhost_dropped"] >= 0
        for p in range(4):
            for i in range(4):
                g = "vid100_f%d" % i       # no vlan device: not delivered
                self.add("ip", g, "vid100_f%d" % i, self._tagged(
                    100, self.udp4(g, TX4, RX4, 7100 + i, 7000 + i)))
                if otherhost:           # Linux 5.19 and later
                    self.counts("vrx.rx_otherhost_dropped")
                g = "prio_f%d" % i          # priority tag (VID 0): delivered
                self.add("ip", g, g, self._tagged(
                    0x6000, self.udp4(g, TX4, RX4, 7100 + i, 7000 + i)))
                self.want(g)
                g = "qinq"                  # 802.1ad + 802.1Q: not IP
                self.add("nonip", g, g, self.e(0x88A8, struct.pack(
                    "!HHHH", 200, 0x8100, 100, 0x0800) + self.udp4(
                        g, TX4, RX4, 7100 + i, 7000 + i)))
                self.counts("vrx.rx_dropped")

    def vlandev(self):
        for p in range(4):
            for i in range(8):
                g = "vlandev_f%d" % i
                self.add("ip", g, g, self._tagged(100, self.udp4(
                    g, "10.100.0.1", "10.100.0.2", 7100 + i, 7000 + i)))
                self.want(g)

    # -- GRE (inner flows, and the same flows bare) -----------------------
    def gre(self):
        for p in range(4):
            for i in range(8):
                for enc in (True, False):
                    g = ("gre_f%d" if enc else "bare_f%d") % i
                    inner = self.udp4(g, "10.47.0.1", "10.47.0.2",
                                      7100 + i, 7000 + i)
                    if enc:
                        data = ip4(TX4, RX4, 47, b"\0\0\x08\0" + inner)
                    else:
                        data = inner
                    self.add("ip", g, "f%d" % i, self.e(0x0800, data))
                    self.want(g)

    # -- VXLAN: one outer source port for 8 inner flows, one each for 8 ----
    def vxlan(self):
        for p in range(4):
            for i in range(16):
                g = "vx_f%d" % i
                inner = eth(self.vxmac, b"\x02\0\0\0\x42\x01", 0x0800,
                            self.udp4(g, "10.42.0.1", "10.42.0.2",
                                      7100 + i, 7000 + i % 16))
                vx = struct.pack("!II", 0x08000000, 42 << 8) + inner
                sport = 50000 if i < 8 else 50000 + i
                flow = "outer%d" % sport
                self.add("ip", g, flow, self.e(0x0800, ip4(
                    TX4, RX4, 17, udp(4, TX4, RX4, sport, 4789, vx))))
                self.want(g)

    # -- generic XDP: UDP to 7777 dropped by the program, 7001 passed -----
    def xdp(self):
        for p in range(16):
            for i in range(2):
                g = "xdppass_f%d" % i
                self.add("ip", g, g, self.e(0x0800, self.udp4(
                    g, TX4, RX4, 7100 + i, 7001 + i)))
                self.want(g)
                g = "xdpdrop_f%d" % i
                self.add("xdpdrop", g, g, self.e(0x0800, self.udp4(
                    g, TX4, RX4, 7100 + i, 7777)))


def setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), "setns " + path)
    os.close(fd)


def receivers():
    socks = []
    for port in PORTS:
        for fam in (socket.AF_INET, socket.AF_INET6):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind(("", port))
            s.setblocking(False)
            socks.append(s)
    return socks


def linkstats(dev):
    """rx_dropped, rx_nohandler, rx_otherhost_dropped (-1: not reported)."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    msg = struct.pack("=BxHiII", socket.AF_UNSPEC, 0,
                      socket.if_nametoindex(dev), 0, 0)
    s.send(struct.pack("=IHHII", 16 + len(msg), 18, 1, 1, 0) + msg)
    data = s.recv(65536)            # RTM_NEWLINK: nlmsghdr, ifinfomsg
    s.close()
    off, st = 32, ()
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4:
            break
        if atype == 23:             # IFLA_STATS64
            st = struct.unpack_from("=%dQ" % ((alen - 4) // 8), data, off + 4)
        off += (alen + 3) & ~3
    return {"rx_dropped": st[6] if len(st) > 6 else -1,
            "rx_nohandler": st[23] if len(st) > 23 else -1,
            "rx_otherhost_dropped": st[24] if len(st) > 24 else -1}


def has_ptype(ethertype):
    """A protocol handler for ETHERTYPE ("0004": 802.2) is registered."""
    with open("/proc/net/ptype") as f:
        return any(line.split()[0] == ethertype for line in f)


def rxsteer_stat():
    c = {}
    with open("/proc/net/rxsteer_stat") as f:
        names = f.readline().split()[1:]
        for line in f:
            for k, v in zip(names, line.split()[1:]):
                c[k] = c.get(k, 0) + int(v)
    return c


def counters(devs):
    c = rxsteer_stat()
    for dev in devs:
        for q in ("seen", "steered"):
            try:
                with open("/sys/class/net/%s/rxsteer/rx-0/%s" % (dev, q)) as f:
                    c["%s.%s" % (dev, q)] = int(f.read())
            except OSError:
                pass
    for fn in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(fn) as f:
            lines = f.read().splitlines()
        for names, vals in zip(lines[0::2], lines[1::2]):
            p, names = names.split(":", 1)
            for n, v in zip(names.split(), vals.split(":", 1)[1].split()):
                c[p + n] = int(v)
    with open("/proc/net/snmp6") as f:
        for line in f:
            w = line.split()
            if len(w) == 2:
                c[w[0]] = int(w[1])
    for k, v in linkstats("vrx").items():
        c["vrx." + k] = v
    return c


def settle():
    """Every backlog empty, everything queued re-delivered (5 s at most)."""
    for _ in range(100):
        c = rxsteer_stat()
        if c["backlog"] == 0 and \
           c["steered_out"] == c["processed"] + c["drop_detached"]:
            return 1
        time.sleep(0.05)
    return 0


def trace_events():
    """What trace_pipe (fd 3, non-blocking) holds now."""
    os.set_blocking(3, False)
    buf = b""
    while True:
        try:
            data = os.read(3, 1 << 16)
        except BlockingIOError:
            break
        if not data:
            break
        buf += data
    return buf.decode(errors="replace").splitlines()


def check(frames, lines, dev, cpus):
    """Pair DEV's rxs_steer events with the frames of kind ip, in order."""
    frames = [(g, f) for kind, g, f, _ in frames if kind == "ip"]
    events, nall = [], 0
    for line in lines:
        if "rxs_steer: " not in line:
            continue
        nall += 1
        if "rxs_steer: dev=%s " % dev not in line:
            continue
        kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
        events.append((int(kv["hash"], 16), int(kv["cpu"]),
                       "[000]" in line))
    bycpu_g, bycpu_f, byhash_f, used = {}, {}, {}, set()
    offmap = offarrival = 0
    for (group, flow), (h, cpu, on0) in zip(frames, events):
        bycpu_g.setdefault(group, set()).add(cpu)
        bycpu_f.setdefault(flow, set()).add(cpu)
        byhash_f.setdefault(flow, set()).add(h)
        used.add(cpu)
        offmap += cpu != cpus[(h * len(cpus)) >> 32]
        offarrival += not on0
    split = sorted(g for g, c in bycpu_g.items() if len(c) > 1)
    fsplit = sorted(f for f, c in bycpu_f.items() if len(c) > 1)
    hsplit = sorted(f for f, c in byhash_f.items() if len(c) > 1)
    for k, v in (("frames", len(frames)), ("events", len(events)),
                 ("events_all", nall), ("groups", len(bycpu_g)),
                 ("groups_split", len(split)), ("flows", len(bycpu_f)),
                 ("flows_split", len(fsplit)),
                 ("flows_hashsplit", len(hsplit)), ("offmap", offmap),
                 ("offarrival", offarrival),
                 ("cpus", ",".join(map(str, sorted(used))) or "-"),
                 ("split_names", ",".join(split + fsplit + hsplit) or "-")):
        print("chk %s %s" % (k, v))


def main(argv):
    opt = dict(zip(argv[1::2], argv[2::2]))
    case = Case(mac(opt["--smac"]), mac(opt["--dmac"]),
                mac(opt.get("--vxmac", "02:00:00:00:00:00")))
    getattr(case, argv[0])()
    devs = opt["--devs"].split()
    trace_events()                  # drop anything from before
    before = counters(devs)
    socks = receivers()
    home = "/proc/self/fd/%d" % os.open("/proc/self/ns/net", os.O_RDONLY)
    setns(opt["--txns"])
    os.sched_setaffinity(0, {0})
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    tx.bind(("vtx", 0))
    arp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(0x0806))
    arp.bind(("vtx", 0x0806))
    arp.setblocking(False)
    count = {}
    for i, (kind, group, flow, frame) in enumerate(case.frames):
        print("frame %d %s %s %s" % (i, kind, group, flow))
        for k in ("all", "kind:" + kind, "group:" + group):
            count[k] = count.get(k, 0) + 1
        tx.send(frame)
    setns(home)                     # the receiver's counters again
    expect = sum(case.expect.values())
    got, badlen, replies = {}, 0, 0
    ep = select.epoll()
    fds = {s.fileno(): s for s in socks + [arp]}
    for fd in fds:
        ep.register(fd, select.EPOLLIN)
    t0 = time.monotonic()
    done_at = None
    while time.monotonic() - t0 < 10:
        if done_at is None and sum(got.values()) >= expect:
            done_at = time.monotonic()
        if done_at is not None and time.monotonic() - done_at > \
           float(opt.get("--linger", "0.5")):
            break
        for fd, _ in ep.poll(0.1):
            s = fds[fd]
            while True:
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    break
                if s is arp:
                    if data[20:22] == b"\0\x02" and data[28:32] == a4(RX4):
                        replies += 1
                    continue
                parts = data.split(b"\n", 1)[0].split()
                if len(parts) != 3 or parts[0] != b"H5":
                    continue
                g = parts[1].decode()
                got[g] = got.get(g, 0) + 1
                badlen += int(parts[2]) != len(data)
    settled = settle()
    lines = trace_events()
    after = counters(devs)
    for k in sorted(count):
        print("count %s %d" % (k, count[k]))
    for k in sorted(set(before) | set(after)):
        print("delta %s %d" % (k, after.get(k, 0) - before.get(k, 0)))
    for k in sorted(after):
        if k == "backlog" or k.startswith("vrx.rx_"):
            print("after %s %d" % (k, after[k]))
    for k, v in (("expect", expect), ("badlen", badlen),
                 ("arp_replies", replies), ("settled", settled)):
        print("chk %s %d" % (k, v))
    for k in sorted(case.stack):
        print("stack %s %d" % (k, case.stack[k]))
    for g in sorted(set(got) | set(case.expect)):
        print("delivered %s %d %d" % (g, got.get(g, 0),
                                      case.expect.get(g, 0)))
    check(case.frames, lines, opt["--tracedev"],
          [int(c) for c in opt["--cpus"].split(",")])


if __name__ == "__main__":
    main(sys.argv[1:])
PYEOF
}

# Devices whose rx-0 seen and steered the injector reads; the device whose
# rxs_steer events it checks.
rxs_devs="vrx"
tracedev=vrx

# The last batch's report: D[counter] deltas, C[all|kind:K|group:G] frames
# sent, K[check] values, delivery totals.
declare -A D C K S
dgot=0
dbad=""

# batch TAG CASE [ARGS...]: one injector run with rxs_steer enabled; its
# report lands in $rxs_tmp/TAG.out and is loaded.
batch()
{
	local tag=$1 case=$2 t0=$SECONDS w1 w2 w3 w4
	shift 2
	echo > "$tr/trace"
	echo 1 > "$tr/events/rxsteer/rxs_steer/enable"
	echo 1 > "$tr/tracing_on"
	# shellcheck disable=SC2086
	ip netns exec "$RX" $PY "$py" "$case" --txns "/run/netns/$RXS_NS_TX" \
		--smac "$smac" --dmac "$dmac" --vxmac "${vxmac:-02:00:00:00:00:00}" \
		--cpus "$mask" --devs "$rxs_devs" --tracedev "$tracedev" "$@" \
		3< "$tr/trace_pipe" > "$rxs_tmp/$tag.out"
	echo 0 > "$tr/events/rxsteer/rxs_steer/enable"
	D=() C=() K=() S=()
	dgot=0 dbad=""
	while read -r w1 w2 w3 w4; do
		case $w1 in
		delta) D[$w2]=$w3 ;;
		count) C[$w2]=$w3 ;;
		chk) K[$w2]=$w3 ;;
		after) K[after_$w2]=$w3 ;;
		stack) S[$w2]=$w3 ;;
		delivered)
			dgot=$((dgot + w3))
			[ "$w3" = "$w4" ] || dbad="$dbad $w2:$w3/$w4" ;;
		esac
	done < "$rxs_tmp/$tag.out"
	rxs_log "$tag: $((SECONDS - t0)) s"
}
trace_off()
{
	echo 0 > "$tr/events/rxsteer/rxs_steer/enable" 2>/dev/null
	echo > "$tr/trace"
	echo 1 > "$tr/tracing_on"
}
rxs_on_cleanup trace_off

# n KEY: frames of the last batch (KEY all, kind:KIND or group:GROUP).
n() { echo "${C[$1]:-0}"; }

# account TAG DEV SEEN STEERED NONIP: rxsteer's side of the last batch:
# DEV's rx-0 saw SEEN frames; each has exactly one outcome, STEERED of them
# steered_out, NONIP non_ip, none dropped or passed otherwise; every
# steered frame re-delivered; backlogs empty.
account()
{
	local tag=$1 dev=$2 seen=$3 steered=$4 nonip=$5 k all=0 line=""
	local ds=${D[$dev.seen]:-none} dq=${D[$dev.steered]:-none}
	local so=${D[steered_out]:-0} p=${D[processed]:-0} r=${D[redelivered]:-0}
	for k in no_steer non_ip no_hash passed_local target_offline \
		 drop_nomem drop_backlog drop_flow_limit steered_out; do
		all=$((all + ${D[$k]:-0}))
		line="$line $k ${D[$k]:-0}"
	done
	rxs_log "$tag: sent $(n all), $dev seen $ds steered $dq;$line;" \
		"processed $p redelivered $r"
	rxs_check "$tag: rxsteer saw every frame once ($dev rx-0 seen +$seen)" \
		test "$ds" = "$seen"
	rxs_check "$tag: one counted outcome each: steered_out +$steered, non_ip +$nonip, nothing else" \
		test "$all" = "$ds" -a "$so" = "$steered" -a "${D[non_ip]:-0}" = "$nonip" \
		-a "$dq" = "$steered"
	rxs_check "$tag: every steered frame re-delivered, backlogs empty" \
		test "$p" = "$so" -a "$r" = "$so" -a "${K[settled]}" = 1 \
		-a "${K[after_backlog]}" = 0
}

# steering TAG UNIT: DEV's rxs_steer events paired in order with the IP
# frames: one per frame, on CPU 0, CPU = mask[scale(hash)], each group and
# flow (UNIT) on one CPU.
steering()
{
	local tag=$1 unit=$2 k line=""
	for k in frames events groups groups_split flows flows_split \
		 flows_hashsplit offmap offarrival cpus split_names; do
		line="$line $k ${K[$k]}"
	done
	rxs_log "$tag:$line"
	rxs_check "$tag: one rxs_steer event per IP frame ($(n kind:ip)), each on arrival CPU 0" \
		test "${K[frames]}-${K[events]}-${K[offarrival]}" = "$(n kind:ip)-$(n kind:ip)-0"
	rxs_check "$tag: CPU = mask[reciprocal_scale(hash)] for every frame" \
		test "${K[offmap]}" = 0
	rxs_check "$tag: every $unit on one CPU" \
		test "${K[groups_split]}-${K[flows_split]}" = 0-0
}

# hashes TAG DESC: every flow of the last batch had one hash.
hashes() { rxs_check "$1: $2" test "${K[flows_hashsplit]}" = 0; }

# delivered TAG: every datagram expected reached its socket whole, and
# nothing else did.
delivered()
{
	rxs_log "$1: delivered $dgot of ${K[expect]} expected${dbad:+; off:$dbad}"
	rxs_check "$1: ${K[expect]} datagrams delivered whole, nothing unexpected" \
		test -z "$dbad" -a "$dgot" = "${K[expect]}" -a "${K[badlen]}" = 0
}

# stack TAG DESC: each kernel counter the injector named grew by exactly
# what it said.
stack()
{
	local tag=$1 desc=$2 k ok=0 got=""
	for k in "${!S[@]}"; do
		got="$got $k +${D[$k]:-none}/${S[$k]}"
		[ "${D[$k]:-none}" = "${S[$k]}" ] || ok=1
	done
	rxs_log "$tag: kernel counters (got/want):$got"
	rxs_check "$tag: $desc" test $ok = 0 -a -n "$got"
}

write_py

# Quiet: nothing reaches vrx unless injected.
batch quiet quiet --linger 1
rxs_check "quiet: no stray frames on vrx (seen +0 in 1 s)" \
	test "${D[vrx.seen]}" = 0

# 1. Runts and truncated headers, RPS.
batch malformed malformed
nm=$(n all)
account malformed vrx "$nm" "$nm" 0
steering malformed "malformed variant"
delivered malformed
stack malformed "IP layer got all $nm, each counted: header error, truncated, UDP error, TCP segment"

# ... and with RFS on: every frame an RFS miss, steered by the mask.
RXS_NS="" rxs_write /sys/kernel/rxsteer/sock_flow_entries 4096 >/dev/null
rxs_write "$vd/rx-0/flow_cnt" 4096 >/dev/null
batch malformed_rfs malformed
account malformed_rfs vrx "$nm" "$nm" 0
steering malformed_rfs "malformed variant"
rxs_check "malformed_rfs: each frame one RFS lookup, a miss (no reader)" \
	test "${D[rfs_miss]}-${D[rfs_hit]}" = "$nm-0"
RXS_NS="" rxs_write /sys/kernel/rxsteer/sock_flow_entries 0 >/dev/null
rxs_write "$vd/rx-0/flow_cnt" 0 >/dev/null

# 2. Fragments: 18 datagrams of 3 fragments, interleaved, out of order.
for fam in 4 6; do
	batch frag$fam frag$fam
	account frag$fam vrx "$(n all)" "$(n all)" 0
	steering frag$fam "datagram's fragments, and source's datagrams,"
	delivered frag$fam
	stack frag$fam "every datagram reassembled, no reassembly failure"
done

# 3. IPv6 extension headers before UDP, and the same flows without.
batch ext6 ext6
account ext6 vrx "$(n all)" "$(n all)" 0
steering ext6 "flow (with or without extension headers)"
hashes ext6 "each flow hashes the same with and without extension headers"
delivered ext6

# 4. Non-IP ethertypes.
batch nonip nonip
account nonip vrx "$(n all)" 0 "$(n all)"
rxs_check "nonip: no rxs_steer event" test "${K[events_all]}" = 0
rxs_check "nonip: all $(n group:arp) ARP requests answered through the attached device" \
	test "${K[arp_replies]}" = "$(n group:arp)"
stack nonip "unknown ethertypes counted in vrx rx_dropped"

# 5. VLAN tags, no vlan device.
batch vlan vlan
nq=$(n group:qinq)
account vlan vrx "$(n all)" $(($(n all) - nq)) "$nq"
steering vlan "flow (VID 100, VID 0)"
delivered vlan
stack vlan "VID 100 frames dropped as for another host (rx_otherhost_dropped, where the kernel has it), QinQ in rx_dropped"

# 6. A vlan device on vrx takes its frames before vrx's rx_handler.
v=/sys/class/net/vrx.100/rxsteer
if ! ip -n "$RX" link add link vrx name vrx.100 type vlan id 100; then
	rxs_skip "vlandev: VLAN device on an attached device" \
		"cannot create a vlan device (CONFIG_VLAN_8021Q)"
else
	ip -n "$RX" addr add 10.100.0.2/24 dev vrx.100
	ip -n "$RX" link set vrx.100 up
	batch vlandev vlandev
	account vlandev vrx 0 0 0
	rxs_check "vlandev: no rxs_steer event" test "${K[events_all]}" = 0
	delivered vlandev
	rxs_write "$v/enabled" 1 >/dev/null &&
		rxs_write "$v/rx-0/cpus_list" "1-$last" >/dev/null &&
		rxs_write "$v/backlog_limit" 100000 >/dev/null
	ok=$?
	rxs_check "vlandev: rxsteer attached to vrx.100" test $ok = 0
	rxs_devs="vrx vrx.100" tracedev=vrx.100
	batch vlandev_att vlandev
	account vlandev_att vrx.100 "$(n all)" "$(n all)" 0
	rxs_check "vlandev_att: vrx's rxsteer still sees none of them" \
		test "${D[vrx.seen]}" = 0
	steering vlandev_att flow
	delivered vlandev_att
	rxs_devs=vrx tracedev=vrx
	rxs_write "$v/enabled" 0 >/dev/null
	ip -n "$RX" link del vrx.100
fi

# 7. GRE: steered by the inner flow.
if ! ip -n "$RX" link add gre1 type gre local "$RXS_RX4" remote "$RXS_TX4"; then
	rxs_skip "gre: GRE" "cannot create a gre device (CONFIG_NET_IPGRE)"
else
	ip -n "$RX" addr add 10.47.0.2/24 dev gre1
	ip -n "$RX" link set gre1 up
	batch gre gre
	account gre vrx "$(n all)" "$(n all)" 0
	steering gre "inner flow (in GRE or bare)"
	hashes gre "GRE frames hash as their inner flow sent bare"
	delivered gre
fi

# 8. VXLAN: steered by the outer header.
if ! ip -n "$RX" link add vx0 type vxlan id 42 dstport 4789 \
		local "$RXS_RX4" dev vrx nolearning; then
	rxs_skip "vxlan: VXLAN" "cannot create a vxlan device (CONFIG_VXLAN)"
else
	ip -n "$RX" addr add 10.42.0.2/24 dev vx0
	ip -n "$RX" link set vx0 up
	vxmac=$(ip -n "$RX" -br link show vx0 | awk '{ print $3 }')
	batch vxlan vxlan
	account vxlan vrx "$(n all)" "$(n all)" 0
	steering vxlan "flow (outer UDP source port)"
	hashes vxlan "8 inner flows under one outer source port share one hash"
	delivered vxlan
fi

# 9. Generic XDP on vrx.
xdp_status()
{
	nsenter --net="/run/netns/$RX" xdp-filter status 2>/dev/null |
		awk '$1 == "XDP_PASS" { p = $2 } $1 == "XDP_DROP" { d = $2 }
		     END { print p + 0, d + 0 }'
}
xdp_unload()
{
	nsenter --net="/run/netns/$RX" xdp-filter unload vrx >/dev/null 2>&1
	[ -n "${bpffs_mounted:-}" ] && umount /sys/fs/bpf
	bpffs_mounted=""
}
if ! command -v xdp-filter >/dev/null; then
	rxs_skip "xdp: generic XDP" "xdp-filter (xdp-tools) not installed"
else
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf && bpffs_mounted=1
	fi
	rxs_on_cleanup xdp_unload
	if ! out=$(nsenter --net="/run/netns/$RX" xdp-filter load vrx -m skb \
			-p allow -f udp,ipv4,ipv6 2>&1) ||
	   ! nsenter --net="/run/netns/$RX" xdp-filter port 7777 -p udp >/dev/null 2>&1; then
		rxs_skip "xdp: generic XDP" "xdp-filter load failed: ${out##*$'\n'}"
	else
		rxs_check "xdp: xdp-filter attached in skb (generic) mode" \
			sh -c "ip -n $RX link show vrx | grep -q xdpgeneric"
		read -r p0 d0 <<<"$(xdp_status)"
		batch xdp xdp
		read -r p1 d1 <<<"$(xdp_status)"
		account xdp vrx "$(n kind:ip)" "$(n kind:ip)" 0
		steering xdp flow
		delivered xdp
		rxs_log "xdp: XDP_PASS +$((p1 - p0)), XDP_DROP +$((d1 - d0))"
		rxs_check "xdp: the $(n kind:xdpdrop) frames XDP_DROP counts never reached rxsteer" \
			test $((d1 - d0)) = "$(n kind:xdpdrop)"
		rxs_check "xdp: the program ran twice per steered frame (XDP_PASS = 2 x $(n kind:ip))" \
			test $((p1 - p0)) = $((2 * $(n kind:ip)))
		xdp_unload
		rxs_check "xdp: program detached" \
			sh -c "! ip -n $RX link show vrx | grep -q xdp"
	fi
fi

# Whole run: the module-wide invariants hold.
rxs_check "module-wide: steered_out = steered_in = processed, no drops" \
	awk 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	     { o += $c["steered_out"]; n += $c["steered_in"]; p += $c["processed"]
	       x += $c["drop_backlog"] + $c["drop_nomem"] + $c["drop_detached"]
	       x += $c["drop_flow_limit"] }
	     END { exit !(o == n && n == p && x == 0) }' /proc/net/rxsteer_stat
rxs_log "per-CPU table after the run:"
sed 's/^/#   /' /proc/net/rxsteer_stat
rxs_dmesg_check
rxs_finish
