#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write a pcap of minimum-size Ethernet/IPv4/UDP frames, one frame per flow.

    gen_pcap.py --flows N --out FILE [--size 64] [--src-mac M] [--dst-mac M]

Every frame has the same source and destination MAC, so a bridge learns one
station and never the destination: the frames are flooded.  Frame i is flow i:
source IP 10.0.0.0 + i (unique per frame, so N frames are N exact-match
flows), destination IP and both UDP ports vary with i as well so the key
differs in more than one field, as real traffic does.

The frames are packed with struct, not built with scapy: scapy takes a
minute or more for 128K frames, struct well under a second.  --size is the
frame size on the wire including the 4-byte FCS, which a pcap does not
store, so the default 64 writes 60-byte records.
"""
import argparse
import struct
import sys

ETH_FCS = 4
HDR_LEN = 14 + 20 + 8  # Ethernet + IPv4 (no options) + UDP


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError(f"not a MAC address: {text}")
    return bytes(int(p, 16) for p in parts)


def ipv4_checksum(header):
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(i, eth, payload_len):
    src_ip = 0x0A000000 + i                      # 10.0.0.0 + i: unique per flow
    dst_ip = 0xC0A80000 + (i * 2654435761) % 65536  # 192.168.x.y, scattered
    sport = 1024 + i % 60000
    dport = 2000 + (i // 60000) % 60000
    ip_len = 20 + 8 + payload_len
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, ip_len, i & 0xFFFF, 0, 64, 17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    # UDP checksum 0: "no checksum" for IPv4 (RFC 768); nothing on the path checks it.
    udp = struct.pack("!HHHH", sport, dport, 8 + payload_len, 0)
    return eth + ip + udp + bytes(payload_len)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, required=True, help="number of frames (= distinct flows)")
    ap.add_argument("--out", required=True, help="pcap file to write")
    ap.add_argument("--size", type=int, default=64, help="wire frame size incl. FCS (default 64)")
    ap.add_argument("--src-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:00:01"))
    ap.add_argument("--dst-mac", type=mac_bytes, default=mac_bytes("02:00:00:00:00:02"))
    args = ap.parse_args()

    if not 1 <= args.flows <= 1 << 24:
        ap.error("--flows must be 1 .. 16777216 (source IPs come from 10.0.0.0/8)")
    cap_len = args.size - ETH_FCS
    if cap_len < HDR_LEN:
        ap.error(f"--size must be at least {HDR_LEN + ETH_FCS}")
    eth = args.dst_mac + args.src_mac + struct.pack("!H", 0x0800)
    payload_len = cap_len - HDR_LEN

    # Classic pcap, microsecond timestamps, LINKTYPE_ETHERNET.
    rec_hdr = struct.Struct("<IIII")
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(args.flows):
            f.write(rec_hdr.pack(i // 1000000, i % 1000000, cap_len, cap_len))
            f.write(frame(i, eth, payload_len))
    return 0


if __name__ == "__main__":
    sys.exit(main())
