#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one benchmark cell's raw data into one record.

scripts/bench-guest.sh ships each cell's directory out of the VM (tar, gzip,
base64 on one console line); tools/bench/report.py hands its files to
build(). The directory holds server.json and client.json (rxs_load's
output), snap.start and snap.end (the files rxs_load server snapshotted at
the edges of its measured window), tx.start / tx.end (the sender
namespace's /proc/net/snmp around the whole run, from rxs_load client), the two tools' stderr and
xdp.prog (the XDP program attached, in XDP cells). Run by hand:
collect.py --dir DIR --meta '{"scenario": ..., "mode": ..., "rep": 1}'.
"""

import argparse
import json
import os
import sys


def parse_snap(text):
    """{'time_ns': int, 'files': {path: text}}"""
    out = {"time_ns": 0, "files": {}}
    cur = None
    buf = []
    for line in text.splitlines(True):
        if line.startswith("time_ns ") and cur is None:
            out["time_ns"] = int(line.split()[1])
        elif line.startswith("==> ") and line.rstrip().endswith(" <=="):
            if cur is not None:
                out["files"][cur] = "".join(buf)
            cur = line.rstrip()[4:-4]
            buf = []
        else:
            buf.append(line)
    if cur is not None:
        out["files"][cur] = "".join(buf)
    return out


def interrupts(text):
    """{'CAL': total, 'RES': total, ...} summed over CPUs."""
    res = {}
    lines = text.splitlines()
    if not lines:
        return res
    ncpu = len(lines[0].split())
    for line in lines[1:]:
        parts = line.split()
        if not parts:
            continue
        name = parts[0].rstrip(":")
        vals = []
        for p in parts[1:1 + ncpu]:
            if p.isdigit():
                vals.append(int(p))
            else:
                break
        res[name] = sum(vals)
    return res


SOFTNET_COLS = {0: "processed", 1: "dropped", 2: "time_squeeze",
                9: "received_rps", 10: "flow_limit_count"}


def softnet(text):
    """per CPU line: {name: value}"""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        rows.append({name: int(parts[i], 16)
                     for i, name in SOFTNET_COLS.items() if i < len(parts)})
    return rows


def proc_stat(text):
    """{'cpuN': [user, nice, system, idle, iowait, irq, softirq, ...]}"""
    res = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("cpu") and parts[0] != "cpu":
            res[parts[0]] = [int(x) for x in parts[1:]]
    return res


def snmp_like(text):
    """/proc/net/netstat and /proc/net/snmp: {'TcpExt': {k: v}, ...}"""
    res = {}
    lines = text.splitlines()
    for i in range(0, len(lines) - 1, 2):
        h = lines[i].split()
        v = lines[i + 1].split()
        if not h or not v or h[0] != v[0]:
            continue
        res[h[0].rstrip(":")] = {k: int(x) for k, x in zip(h[1:], v[1:])
                                 if x.lstrip("-").isdigit()}
    return res


def net_dev(text, dev):
    """/proc/net/dev: (rx_packets, rx_drop, tx_packets, tx_drop) of dev"""
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name.strip() == dev and rest:
            v = [int(x) for x in rest.split()]
            return {"rx_packets": v[1], "rx_drop": v[3],
                    "tx_packets": v[9], "tx_drop": v[11]}
    return None


def rxsteer_stat(text):
    lines = text.splitlines()
    if not lines:
        return None
    head = lines[0].split()
    tot = {k: 0 for k in head[1:]}
    for line in lines[1:]:
        parts = line.split()
        for k, x in zip(head[1:], parts[1:]):
            tot[k] += int(x)
    return tot


def delta(a, b):
    return {k: b[k] - a.get(k, 0) for k in b}


def build(files, meta):
    """One record from a cell's files ({name: text}) and its meta data."""
    rec = {"scenario": meta["scenario"], "mode": meta["mode"],
           "rep": int(meta["rep"]), "order": int(meta.get("order", 0)),
           "status": meta.get("status", "ok"),
           "reason": str(meta.get("reason", "")).strip(),
           "left_over": str(meta.get("dirty", "")).strip(),
           "offered_rate": float(meta.get("rate") or 0),
           "cell_seconds": float(meta.get("cell_seconds") or 0),
           "phase_seconds": meta.get("phase_seconds", "")}

    def js(name):
        try:
            return json.loads(files[name].strip().splitlines()[-1])
        except (KeyError, ValueError, IndexError):
            return None

    def snap(name):
        return parse_snap(files[name]) if name in files else None

    srv = js("server.json")
    cli = js("client.json")
    s0 = snap("snap.start")
    s1 = snap("snap.end")
    if files.get("setup.log", "").strip():
        rec["setup_log"] = files["setup.log"].strip()[-300:]
    if "timing" in files:
        rec["traffic_seconds"] = files["timing"].strip()
    if "xdp.prog" in files:
        rec["xdp_prog"] = files["xdp.prog"].strip()
    if rec["status"] != "ok" or not srv or not cli or not s0 or not s1:
        if rec["status"] == "ok":
            rec["status"] = "error"
            rec["reason"] = "missing output: " + " ".join(
                n for n in ("server.json", "client.json", "snap.start",
                            "snap.end") if n not in files)
        for n in ("server.err", "client.err"):
            if files.get(n, "").strip():
                rec.setdefault("stderr", {})[n] = files[n].strip()[-500:]
        return rec
    f0, f1 = s0["files"], s1["files"]
    win = (s1["time_ns"] - s0["time_ns"]) / 1e9
    rec["window_s"] = round(srv.get("window_s", win), 4)
    rr = srv.get("mode") == "rr"
    tcp = srv.get("proto") == "tcp"
    rec["unit"] = "trans/s" if rr else ("rec/s" if tcp else "pkt/s")
    rec["rate"] = srv.get("rate_window", 0.0)
    rec["units_window"] = srv.get("rx_window", 0)
    rec["bytes_per_s"] = round(srv.get("bytes_window", 0) / win, 1) if win else 0
    rec["locality"] = srv.get("locality_window", 0.0)
    rec["inversions"] = srv.get("inversions", 0)
    rec["gaps"] = srv.get("gaps", 0)
    rec["bad"] = srv.get("bad", 0)
    rec["reader_moves"] = srv.get("moves", 0)
    rec["incoming_cpu"] = srv.get("incoming_cpu_window", {})

    # packets: what vrx received in the window (falls back to the
    # server's units when the counter is not readable)
    key = "/sys/class/net/vrx/statistics/rx_packets"
    try:
        pk = int(f1[key]) - int(f0[key])
    except (KeyError, ValueError):
        pk = 0
    rec["rx_packets_window"] = pk
    pkts = pk if pk > 0 else rec["units_window"]

    i0 = interrupts(f0.get("/proc/interrupts", ""))
    i1 = interrupts(f1.get("/proc/interrupts", ""))
    di = delta(i0, i1)
    rec["ipi_cal"] = di.get("CAL", 0)
    rec["ipi_res"] = di.get("RES", 0)
    rec["ipi_tlb"] = di.get("TLB", 0)
    rec["ipi_cal_per_kpkt"] = round(1000.0 * rec["ipi_cal"] / pkts, 3) if pkts else None
    rec["ipi_res_per_kpkt"] = round(1000.0 * rec["ipi_res"] / pkts, 3) if pkts else None
    # local timer interrupts: where rxsteer's poll_linger_us replaces
    # IPIs by timers, the table shows what it costs
    rec["irq_loc"] = di.get("LOC", 0)
    rec["irq_loc_per_kpkt"] = round(1000.0 * rec["irq_loc"] / pkts, 3) if pkts else None

    sn0 = softnet(f0.get("/proc/net/softnet_stat", ""))
    sn1 = softnet(f1.get("/proc/net/softnet_stat", ""))
    sd = {name: 0 for name in SOFTNET_COLS.values()}
    per_cpu = []
    for r0, r1 in zip(sn0, sn1):
        dd = delta(r0, r1)
        per_cpu.append(dd.get("processed", 0))
        for k, v in dd.items():
            sd[k] += v
    sd["processed_per_cpu"] = per_cpu
    rec["softnet"] = sd

    st0 = proc_stat(f0.get("/proc/stat", ""))
    st1 = proc_stat(f1.get("/proc/stat", ""))
    cpu = {}
    for c in sorted(st1, key=lambda x: int(x[3:])):
        if c not in st0:
            continue
        dv = [y - x for x, y in zip(st0[c], st1[c])]
        busy = sum(dv) - dv[3] - (dv[4] if len(dv) > 4 else 0)
        tot = sum(dv) or 1
        cpu[c] = {"busy": round(busy / tot, 3),
                  "softirq": round(dv[6] / tot, 3) if len(dv) > 6 else 0}
    rec["cpu"] = cpu

    n0 = snmp_like(f0.get("/proc/net/netstat", ""))
    n1 = snmp_like(f1.get("/proc/net/netstat", ""))
    te0, te1 = n0.get("TcpExt", {}), n1.get("TcpExt", {})
    rec["tcp_ofo_queue"] = te1.get("TCPOFOQueue", 0) - te0.get("TCPOFOQueue", 0)
    rec["tcp_ofo_drop"] = te1.get("TCPOFODrop", 0) - te0.get("TCPOFODrop", 0)
    rec["tcp_backlog_drop"] = (te1.get("TCPBacklogDrop", 0) -
                               te0.get("TCPBacklogDrop", 0))
    u0 = snmp_like(f0.get("/proc/net/snmp", "")).get("Udp", {})
    u1 = snmp_like(f1.get("/proc/net/snmp", "")).get("Udp", {})
    rec["udp_rcvbuf_errors"] = u1.get("RcvbufErrors", 0) - u0.get("RcvbufErrors", 0)
    rec["udp_in_errors"] = u1.get("InErrors", 0) - u0.get("InErrors", 0)

    def tx_snmp(name):
        text = files.get(name, "")
        if text.startswith("time_ns "):	# rxs_load client --snap
            text = parse_snap(text)["files"].get("/proc/net/snmp", "")
        return snmp_like(text)
    t0, t1 = tx_snmp("tx.start"), tx_snmp("tx.end")

    def tx_dev(name):
        text = files.get(name, "")
        if text.startswith("time_ns "):
            return net_dev(parse_snap(text)["files"].get("/proc/net/dev", ""),
                           "vtx")
        return None
    d0, d1 = tx_dev("tx.start"), tx_dev("tx.end")
    # datagrams the sender's veth dropped because vrx's ring was full
    # (its NAPI poll did not keep up), over the whole run
    rec["veth_ring_drops_run"] = (d1["tx_drop"] - d0["tx_drop"]
                                  if d0 and d1 else None)
    v0 = net_dev(f0.get("/proc/net/dev", ""), "vrx")
    v1 = net_dev(f1.get("/proc/net/dev", ""), "vrx")
    rec["vrx_rx_drop_window"] = (v1["rx_drop"] - v0["rx_drop"]
                                 if v0 and v1 else None)
    rec["tcp_retrans_run"] = (t1.get("Tcp", {}).get("RetransSegs", 0) -
                              t0.get("Tcp", {}).get("RetransSegs", 0))

    r0 = rxsteer_stat(f0.get("/proc/net/rxsteer_stat", ""))
    r1 = rxsteer_stat(f1.get("/proc/net/rxsteer_stat", ""))
    if r0 and r1:
        rs = delta(r0, r1)
        rs.pop("backlog", None)
        rec["rxsteer"] = rs

    # the IPIs the steering itself sent, counted exactly: kernel RPS/RFS
    # count them per target CPU (softnet_stat received_rps), rxsteer in
    # ipi_recv; /proc/interrupts' CAL also has the scheduler's and other
    # function-call IPIs
    if "rxsteer" in rec:
        steer = rec["rxsteer"].get("ipi_recv", 0)
    elif rec["mode"] in ("krps", "krfs"):
        steer = sd["received_rps"]
    else:
        steer = None
    rec["steer_ipis"] = steer
    rec["steer_ipi_per_kpkt"] = (round(1000.0 * steer / pkts, 3)
                                 if steer is not None and pkts else None)

    # drops over the whole run (warm-up included): what the client sent
    # and the server never got; TCP does not lose, RR counts timeouts
    if not tcp and not rr:
        sent = cli.get("sent", 0)
        rec["sent_run"] = sent
        rec["drops_run"] = max(0, sent - srv.get("rx", 0))
        rec["drop_ratio"] = round(rec["drops_run"] / sent, 6) if sent else 0.0
    else:
        rec["drops_run"] = cli.get("timeouts", 0)
        rec["drop_ratio"] = 0.0
    # drops the kernel counted in the window: UDP receive errors (full
    # receive buffers), the kernel's backlogs, rxsteer's backlogs
    rs = rec.get("rxsteer", {})
    rec["drops_counted_window"] = (rec["udp_in_errors"] + sd["dropped"] +
                                   rs.get("drop_backlog", 0) +
                                   rs.get("drop_flow_limit", 0) +
                                   rs.get("drop_nomem", 0) +
                                   rec["tcp_backlog_drop"])
    rec["send_retries"] = cli.get("retries", 0)
    if rr:
        rec["latency_us"] = cli.get("latency_us", {})
        rec["latency_histogram_us"] = cli.get("histogram_us", [])
        rec["client_tps"] = cli.get("tps_window", 0)
    rec["server"] = {k: v for k, v in srv.items()
                     if k not in ("incoming_cpu_window",)}
    rec["client"] = {k: v for k, v in cli.items() if k != "histogram_us"}
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--meta", required=True, help="JSON: scenario, mode, rep, ...")
    a = ap.parse_args()
    files = {}
    for n in os.listdir(a.dir):
        try:
            with open(os.path.join(a.dir, n), errors="replace") as f:
                files[n] = f.read()
        except OSError:
            pass
    print(json.dumps(build(files, json.loads(a.meta)), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
