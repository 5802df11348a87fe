#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Aggregate the benchmark VM's records into results.json and results.md.

Input: the VM's console output (the @@rxsbench lines of
scripts/bench-guest.sh), the callgrind cost figures (cost-run.sh's JSON)
and what the host knows (command, wall time). Method, in
Documentation/benchmark.rst: per repetition, every cell's rate is divided
by kernel RPS's rate in the same scenario and repetition; the table shows
the median over the repetitions with the minimum and maximum; a scenario
whose kernel RPS rate varies by more than 10% over the repetitions is
flagged.
"""

import argparse
import base64
import io
import json
import os
import statistics
import sys
import tarfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collect  # noqa: E402

MODE_NAMES = {
    "none": "no steering",
    "krps": "kernel RPS",
    "krfs": "kernel RFS",
    "xdp": "XDP cpumap",
    "rxrps": "rxsteer RPS",
    "rxrpsl": "rxsteer RPS, linger",
    "rxrfs": "rxsteer RFS",
}
MODE_ORDER = ["none", "krps", "krfs", "xdp", "rxrps", "rxrpsl", "rxrfs"]
BASELINE = "krps"
VARIATION_FLAG = 0.10


def parse_console(path):
    meta, scen, recs, ended = {}, {}, [], False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            i = line.find("@@rxsbench")
            if i < 0:
                continue
            line = line[i:]
            try:
                if line.startswith("@@rxsbench-meta "):
                    meta = json.loads(line[len("@@rxsbench-meta "):])
                elif line.startswith("@@rxsbench-scenario "):
                    s = json.loads(line[len("@@rxsbench-scenario "):])
                    scen[s["id"]] = s
                elif line.startswith("@@rxsbench-end"):
                    ended = True
                elif line.startswith("@@rxsbench-cell "):
                    recs.append(cell_record(line[len("@@rxsbench-cell "):]))
                elif line.startswith("@@rxsbench "):
                    recs.append(json.loads(line[len("@@rxsbench "):]))
            except (ValueError, KeyError, OSError, EOFError,
                    tarfile.TarError) as e:
                print("report: unreadable line skipped (%s): %.80s" % (e, line),
                      file=sys.stderr)
    return meta, scen, recs, ended


def cell_record(b64):
    """A cell's raw files (tar.gz, base64) -> collect.build()'s record."""
    files = {}
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(b64)),
                      mode="r:gz") as tar:
        for m in tar.getmembers():
            if m.isfile():
                files[os.path.basename(m.name)] = \
                    tar.extractfile(m).read().decode(errors="replace")
    return collect.build(files, json.loads(files["meta.json"]))


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals),
            "max": max(vals), "n": len(vals)}


def fmt_rate(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e3:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


def fmt_mmm(st, fmt, scale=1.0):
    if not st:
        return "-"
    if st["n"] == 1:
        return fmt % (st["median"] * scale)
    return (fmt + " [" + fmt + "–" + fmt + "]") % (
        st["median"] * scale, st["min"] * scale, st["max"] * scale)


def aggregate(scen, recs):
    """{scenario: {mode: summary}}, {scenario: baseline info}"""
    by = {}
    for r in recs:
        by.setdefault(r["scenario"], {}).setdefault(r["mode"], {})[r["rep"]] = r
    summary, base = {}, {}
    for sc in [s for s in scen if s in by] + [s for s in by if s not in scen]:
        cells = by[sc]
        brates = {rep: r["rate"] for rep, r in cells.get(BASELINE, {}).items()
                  if r.get("status") == "ok" and r.get("rate")}
        bst = stats(list(brates.values()))
        var = None
        if bst and bst["median"] and bst["n"] > 1:
            var = (bst["max"] - bst["min"]) / bst["median"]
        base[sc] = {"rate": bst, "variation": var,
                    "flag": var is not None and var > VARIATION_FLAG}
        none_rates = {rep: r["rate"] for rep, r in cells.get("none", {}).items()
                      if r.get("status") == "ok" and r.get("rate")}
        summary[sc] = {}
        for mode in [m for m in MODE_ORDER if m in cells]:
            reps = cells[mode]
            ok = [r for r in reps.values() if r.get("status") == "ok"]
            errs = [r for r in reps.values() if r.get("status") != "ok"]
            ratios = [r["rate"] / brates[r["rep"]] for r in ok
                      if r["rep"] in brates]
            vs_none = [r["rate"] / none_rates[r["rep"]] for r in ok
                       if r["rep"] in none_rates]
            s = {
                "reps_ok": len(ok),
                "errors": sorted({r.get("reason", "") for r in errs}),
                "unit": ok[0]["unit"] if ok else None,
                "rate": stats([r["rate"] for r in ok]),
                "ratio_to_kernel_rps": stats(ratios),
                "ratio_to_no_steering": stats(vs_none),
                "locality": stats([r.get("locality") for r in ok]),
                "ipi_cal_per_kpkt": stats([r.get("ipi_cal_per_kpkt") for r in ok]),
                "ipi_res_per_kpkt": stats([r.get("ipi_res_per_kpkt") for r in ok]),
                "irq_loc_per_kpkt": stats([r.get("irq_loc_per_kpkt") for r in ok]),
                "steer_ipi_per_kpkt": stats([r.get("steer_ipi_per_kpkt") for r in ok]),
                "drop_ratio": stats([r.get("drop_ratio") for r in ok]),
                "drops_run": stats([r.get("drops_run") for r in ok]),
                "drops_run_total": sum(r.get("drops_run") or 0 for r in ok),
                "inversions_total": sum(r.get("inversions", 0) for r in ok),
                "tcp_ofo_queue_total": sum(r.get("tcp_ofo_queue", 0) for r in ok),
                "tcp_retrans_total": sum(r.get("tcp_retrans_run", 0) for r in ok),
                "veth_ring_drops_total": sum(r.get("veth_ring_drops_run") or 0
                                             for r in ok),
                # TCPOFOQueue of repetitions that lost nothing before the
                # steering (no retransmit, no veth ring drop): what the
                # steering itself can have caused
                "tcp_ofo_queue_lossfree": sum(
                    r.get("tcp_ofo_queue", 0) for r in ok
                    if not r.get("tcp_retrans_run") and
                    not r.get("veth_ring_drops_run")),
                "reps_lossy": sum(1 for r in ok if r.get("tcp_retrans_run") or
                                  r.get("veth_ring_drops_run")),
                "softnet_dropped": stats([r["softnet"]["dropped"] for r in ok]),
                "softnet_time_squeeze": stats([r["softnet"]["time_squeeze"] for r in ok]),
                "softnet_received_rps": stats([r["softnet"]["received_rps"] for r in ok]),
                "softnet_processed": stats([r["softnet"]["processed"] for r in ok]),
                "left_over": sorted({r.get("left_over") for r in reps.values()
                                     if r.get("left_over")}),
            }
            if any("latency_us" in r for r in ok):
                s["latency_p50_us"] = stats([r["latency_us"].get("p50") for r in ok
                                             if r.get("latency_us")])
                s["latency_p99_us"] = stats([r["latency_us"].get("p99") for r in ok
                                             if r.get("latency_us")])
            if any("rxsteer" in r for r in ok):
                keys = ["steered_out", "ipi_sent", "passed_local", "drop_backlog",
                        "drop_flow_limit", "rfs_hit", "rfs_miss", "flow_move", "flow_move_deferred",
                        "probe_hit", "probe_store"]
                s["rxsteer"] = {k: stats([r["rxsteer"].get(k) for r in ok
                                          if "rxsteer" in r]) for k in keys}
            summary[sc][mode] = s
    return summary, base


def med(s, key):
    st = s.get(key) if s else None
    return st["median"] if st else None


def targets(summary):
    """The issue's targets, evaluated on the medians."""
    out = []

    def add(name, met, detail):
        out.append({"target": name,
                    "status": "n/a" if met is None else ("met" if met else "MISSED"),
                    "detail": detail})

    s1 = summary.get("S1sat", {})
    # rxsteer RPS as loaded by default always (n/a when not run), with
    # poll_linger_us when it ran
    rps_modes = ["rxrps"] + (["rxrpsl"] if "rxrpsl" in s1 else [])
    for m in rps_modes:
        who = MODE_NAMES[m]
        name = "S1: %s throughput >= 1.10x kernel RPS" % who
        r = med(s1.get(m), "ratio_to_kernel_rps")
        if r is None:
            add(name, None, "S1sat not run")
        else:
            add(name, r >= 1.10,
                "median %.3fx%s" % (r, "" if r >= 1.10 else
                                    ", short by %.3f (%.1f%%)" % (1.10 - r, 100 * (1.10 - r) / 1.10)))
    for m in rps_modes:
        who = MODE_NAMES[m]
        a = med(s1.get(m), "ipi_cal_per_kpkt")
        b = med(s1.get("krps"), "ipi_cal_per_kpkt")
        name = "S1 saturation: %s IPIs per packet <= half of kernel RPS's" % who
        if a is None or b is None:
            add(name, None, "S1sat not run")
            continue
        lim = b / 2
        d = ("/proc/interrupts CAL per 1000 packets: %s %.1f, kernel "
             "RPS %.1f (limit %.1f)%s" % (
                 who, a, b, lim, "" if a <= lim else
                 ", over by %.1f (%.0f%%)" % (a - lim, 100 * (a - lim) / lim if lim else 0)))
        sa = med(s1.get(m), "steer_ipi_per_kpkt")
        sb = med(s1.get("krps"), "steer_ipi_per_kpkt")
        if sa is not None and sb is not None:
            d += ("; steering IPIs alone (rxsteer ipi_recv, kernel softnet "
                  "received_rps): %.1f vs %.1f, %s" % (
                      sa, sb, "within half" if sa <= sb / 2 else
                      "%.2fx kernel RPS's" % (sa / sb) if sb else "kernel RPS sent none"))
        la = med(s1.get(m), "irq_loc_per_kpkt")
        lb = med(s1.get("krps"), "irq_loc_per_kpkt")
        if la is not None and lb is not None:
            d += "; local timer interrupts (LOC): %.1f vs %.1f" % (la, lb)
        add(name, a <= lim, d)
    s2 = summary.get("S2", {})
    a = med(s2.get("rxrfs"), "locality")
    b = med(s2.get("krfs"), "locality")
    name = "S2: rxsteer RFS locality >= 99% and not below kernel RFS"
    if a is None:
        add(name, None, "S2 not run")
    else:
        ok = a >= 0.99 and (b is None or a >= b)
        d = "rxsteer RFS %.2f%%, kernel RFS %s" % (100 * a, "-" if b is None else "%.2f%%" % (100 * b))
        if a < 0.99:
            d += ", %.2f points below 99%%" % (100 * (0.99 - a))
        if b is not None and a < b:
            d += ", %.2f points below kernel RFS" % (100 * (b - a))
        add(name, ok, d)
    for sc in ("S3", "S3t", "S4"):
        ss = summary.get(sc, {})
        name = "%s: zero reorders with rxsteer" % sc
        parts, bad, seen = [], 0, False
        for m in ("rxrps", "rxrfs"):
            if m not in ss:
                continue
            seen = True
            x = ss[m]
            inv = x["inversions_total"]
            ofo = x["tcp_ofo_queue_total"]
            clean = x["tcp_ofo_queue_lossfree"]
            bad += inv + clean
            t = "%s: %d inversions, %d TCPOFOQueue" % (MODE_NAMES[m], inv, ofo)
            if x["reps_lossy"]:
                t += (" (%d of it in loss-free repetitions; %d repetition(s) "
                      "lost packets before the steering: %d veth ring drops, "
                      "%d retransmits)" % (clean, x["reps_lossy"],
                                           x["veth_ring_drops_total"],
                                           x["tcp_retrans_total"]))
            parts.append(t)
        add(name, None if not seen else bad == 0,
            "; ".join(parts) if seen else "%s not run" % sc)
    s6 = summary.get("S6", {})
    for m in ("rxrps", "rxrfs"):
        name = "S6: %s within 3%% of no steering" % MODE_NAMES[m]
        v = med(s6.get(m), "ratio_to_no_steering")
        if v is None:
            add(name, None, "S6 not run")
        else:
            add(name, v >= 0.97, "median %.3fx of no steering%s" % (
                v, "" if v >= 0.97 else ", %.1f%% below (limit 3%%)" % (100 * (1 - v))))
    return out


def markdown(meta, scen, summary, base, tg, cost, host):
    L = []
    L.append("rxsteer benchmark: %s, %s vCPUs (TCG), %s repetition(s), "
             "window %s ms after %s ms warm-up; %s" % (
                 meta.get("kernel", "?"), meta.get("cpus", "?"),
                 meta.get("reps", "?"), meta.get("duration_ms", "?"),
                 meta.get("warmup_ms", "?"), meta.get("date", "?")))
    L.append("")
    L.append("Command: `%s` (wall time %s s)" % (host.get("command", "?"),
                                                 host.get("wall_s", "?")))
    L.append("")
    L.append("Rate: median packets (S2: transactions, S3t/S4: 1000 B records) "
             "per second. xkRPS: rate / kernel RPS's in the same repetition, "
             "median [min–max]. IRQ/1k: function-call (CAL) and reschedule (RES) "
             "interrupts from /proc/interrupts, the steering's own IPIs "
             "(kernel: softnet received_rps; rxsteer: ipi_recv), and local "
             "timer interrupts (LOC), per 1000 "
             "packets received on vrx. rxsteer RPS, linger: rxsteer RPS with "
             "poll_linger_us %s. Drops: share of "
             "UDP datagrams sent and never read. Reord: sequence inversions / "
             "TcpExtTCPOFOQueue, summed over repetitions. softnet: "
             "dropped / time_squeeze / received_rps deltas, medians."
             % meta.get("poll_linger_us", "?"))
    L.append("")
    L.append("| scen | mode | rate | xkRPS | locality % | IRQ/1k CAL/RES/steer/LOC | "
             "drops % | reord | softnet | notes |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for sc, modes in summary.items():
        b = base.get(sc, {})
        for mode, s in modes.items():
            notes = []
            if s["errors"]:
                notes.append("; ".join(e for e in s["errors"] if e) or "failed")
            if s["left_over"]:
                notes.append("left over: " + ", ".join(s["left_over"]))
            if mode == BASELINE and b.get("flag"):
                notes.append("**baseline varies %.0f%%**" % (100 * b["variation"]))
            if s.get("latency_p50_us"):
                notes.append("lat p50/p99 %s/%s us" % (
                    fmt_mmm(s["latency_p50_us"], "%.0f").split(" ")[0],
                    fmt_mmm(s["latency_p99_us"], "%.0f").split(" ")[0]))
            if s["drops_run_total"] and s["unit"] == "pkt/s":
                notes.append("drops: %d%% at vrx's ring, before the steering%s"
                             % (round(100.0 * s["veth_ring_drops_total"] /
                                      s["drops_run_total"]),
                                ", the rest in cpumap queues (not counted apart)"
                                if mode == "xdp" else ""))
            if s.get("reps_lossy") and s.get("tcp_ofo_queue_total"):
                notes.append("OFO with upstream loss: %d ring drops, %d retrans"
                             % (s["veth_ring_drops_total"], s["tcp_retrans_total"]))
            if sc == "S6" and s.get("ratio_to_no_steering"):
                notes.append("%.3fx no steering" % s["ratio_to_no_steering"]["median"])
            ipi = "-"
            if s["ipi_cal_per_kpkt"]:
                ipi = "%.1f / %.1f / %s / %s" % (
                    s["ipi_cal_per_kpkt"]["median"],
                    s["ipi_res_per_kpkt"]["median"],
                    "%.1f" % s["steer_ipi_per_kpkt"]["median"]
                    if s["steer_ipi_per_kpkt"] else "-",
                    "%.1f" % s["irq_loc_per_kpkt"]["median"]
                    if s.get("irq_loc_per_kpkt") else "-")
            sn = "-"
            if s["softnet_dropped"]:
                sn = "%d / %d / %d" % (s["softnet_dropped"]["median"],
                                       s["softnet_time_squeeze"]["median"],
                                       s["softnet_received_rps"]["median"])
            reord = "%d / %d" % (s["inversions_total"], s["tcp_ofo_queue_total"]) \
                if s["reps_ok"] else "-"
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                sc, MODE_NAMES.get(mode, mode),
                fmt_rate(med(s, "rate")),
                fmt_mmm(s["ratio_to_kernel_rps"], "%.2f"),
                fmt_mmm(s["locality"], "%.1f", 100),
                ipi,
                fmt_mmm(s["drop_ratio"], "%.1f", 100) if s["drop_ratio"] else "-",
                reord, sn, "; ".join(notes)))
    L.append("")
    L.append("Scenarios (arrival CPU %s; RPS masks, XDP targets and readers on "
             "CPUs %s unless said):" % (meta.get("arrival_cpu", 0),
                                        meta.get("reader_cpus", "?")))
    L.append("")
    for sc in summary:
        if sc in scen:
            s = scen[sc]
            extra = ""
            if sc.startswith("S5"):
                extra = " (sock_flow_entries %d, flow_cnt %d)" % (
                    s["sock_flow_entries"], s["flow_cnt"])
            L.append("- %s: %s%s" % (sc, s["desc"], extra))
    L.append("")
    L.append("Targets (on the medians):")
    L.append("")
    for t in tg:
        L.append("- %s: **%s** (%s)" % (t["target"], t["status"], t["detail"]))
    xdp_err = set()
    for sc, modes in summary.items():
        if "xdp" in modes and modes["xdp"]["errors"]:
            xdp_err.update(modes["xdp"]["errors"])
    L.append("")
    if xdp_err:
        L.append("XDP cpumap: did not run: " + "; ".join(sorted(xdp_err)))
    elif any("xdp" in m for m in summary.values()):
        L.append("XDP cpumap: xdp-bench redirect-cpu -p l4-hash, native XDP on "
                 "vrx (veth in NAPI mode)%s" % (
                     ", " + meta["xdp_bench"] if meta.get("xdp_bench") else ""))
    if cost:
        L.append("")
        L.append("Cost (callgrind, deterministic; %s; %s):" % (
            cost.get("valgrind", ""), cost.get("compiler", "")))
        L.append("")
        for k, label in (("steer_rps", "steering decision, RPS (mask 1-3)"),
                         ("steer_rfs", "steering decision, RFS (32768-entry tables, 4096 flows)"),
                         ("probe_steady", "probe hit, reader stays on its CPU"),
                         ("probe_moved", "probe hit, reader moved (store)")):
            if k in cost:
                c = cost[k]
                ex = ", ".join("%s %s" % (kk, vv) for kk, vv in c.items()
                               if kk not in ("instructions", "calls", "per_call"))
                L.append("- %s: %.1f instructions%s" % (
                    label, c["per_call"], " (%s of %d calls)" % (ex, c["calls"]) if ex else ""))
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("console")
    ap.add_argument("--cost")
    ap.add_argument("--json-out", required=True)
    ap.add_argument("--md-out", required=True)
    ap.add_argument("--command", default="")
    ap.add_argument("--wall", default="")
    ap.add_argument("--host", default="")
    a = ap.parse_args()

    meta, scen, recs, ended = parse_console(a.console)
    cost = None
    if a.cost:
        try:
            with open(a.cost) as f:
                cost = json.load(f)
        except (OSError, ValueError):
            cost = None
    host = {"command": a.command, "wall_s": a.wall, "host": a.host,
            "vm_run_complete": ended}
    summary, base = aggregate(scen, recs)
    tg = targets(summary)
    md = markdown(meta, scen, summary, base, tg, cost, host)
    if not ended:
        md += "\nWARNING: the VM run did not finish; cells are missing.\n"
    res = {"meta": meta, "host": host, "scenarios": scen, "cost": cost,
           "baseline": base, "summary": summary, "targets": tg,
           "cells": recs}
    with open(a.json_out, "w") as f:
        json.dump(res, f, indent=1)
    with open(a.md_out, "w") as f:
        f.write(md)
    sys.stdout.write(md)
    return 0 if ended and recs else 1


if __name__ == "__main__":
    sys.exit(main())
