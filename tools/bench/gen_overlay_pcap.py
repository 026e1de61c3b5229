#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write a pcap of VXLAN packets carrying minimum-size frames, one inner flow per packet.

    gen_overlay_pcap.py --flows N --out FILE --vni K [--src IP] [--dst IP] [--udp-port P]

The inner frames are gen_pcap.py's (64 bytes on the wire, frame i is flow i); each is
wrapped as host --src would send it to --dst: Ethernet, IPv4 (DF, checksum set), UDP to
--udp-port with checksum 0 and a source port from the flow, VXLAN with the I flag and
--vni.  Packed with struct, like gen_pcap.py, so 128K packets take a second.
"""
import argparse
import ipaddress
import struct

from gen_pcap import ETH_FCS, ipv4_checksum, frame, mac_bytes

INNER_WIRE = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vni", type=int, required=True)
    ap.add_argument("--src", default="192.168.50.2")
    ap.add_argument("--dst", default="192.168.50.1")
    ap.add_argument("--udp-port", type=int, default=4789)
    ap.add_argument("--src-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:50:02"))
    ap.add_argument("--dst-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:50:01"))
    args = ap.parse_args()

    src = int(ipaddress.IPv4Address(args.src))
    dst = int(ipaddress.IPv4Address(args.dst))
    inner_eth = mac_bytes("02:00:00:00:00:02") + mac_bytes("02:00:00:00:00:01") + \
        struct.pack("!H", 0x0800)
    inner_len = INNER_WIRE - ETH_FCS
    outer_eth = args.dst_mac + args.src_mac + struct.pack("!H", 0x0800)
    rec_hdr = struct.Struct("<IIII")
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(args.flows):
            inner = frame(i, inner_eth, inner_len - 42)
            ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + 8 + 8 + len(inner), 0, 0x4000, 64,
                             17, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
            udp = struct.pack("!HHHH", 49152 + i % 16384, args.udp_port, 8 + 8 + len(inner), 0)
            vxlan = struct.pack("!II", 0x08000000, args.vni << 8)
            pkt = outer_eth + ip + udp + vxlan + inner
            f.write(rec_hdr.pack(i // 1000000, i % 1000000, len(pkt), len(pkt)))
            f.write(pkt)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
