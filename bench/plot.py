#!/usr/bin/python3
"""Summaries and charts from natter-bench JSON lines (bench/results/*.jsonl).

  bench/plot.py --summary bench/results/X.jsonl      # markdown table with natter/peer ratios
  bench/plot.py bench/results/X.jsonl [--out docs]   # PNG charts (needs Debian's python3-matplotlib)

The natter-echo ceilings (`natter-bench echo --mode connect|fanout`) share the rows of the
scenarios they bound (idle, fanout-tabs): the summary shows them in the echo server's column, with
a natter/ceiling ratio.

Charts: throughput against latency (p50 and p99) for the message scenarios, one point per run
(a line per server when a run swept the window), and REST requests/s per endpoint.
"""
import argparse
import json
import os
import sys

# (scenario, metric path, label, higher is better)
METRICS = [
    ("idle", "connects_per_s", "connects/s", True),
    ("idle", "handshake.p99_ms", "handshake p99 ms", False),
    ("idle", "rss_per_conn_kb", "server RSS KB/socket", False),
    ("idle", "server_cpu_us_per_connect", "server CPU µs per connect", False),
    ("idle", "generator_cpu_us_per_connect", "generator CPU µs per connect", False),
    ("pairs", "msgs_per_s", "1:1 msgs/s", True),
    ("pairs", "latency.p50_ms", "1:1 latency p50 ms", False),
    ("pairs", "latency.p99_ms", "1:1 latency p99 ms", False),
    ("pairs", "server_cpu_cores", "server cores used", None),
    ("pairs", "msgs_per_s_per_core", "1:1 msgs per server core-second", True),
    ("fanout-tabs", "deliveries_per_s", "tab deliveries/s", True),
    ("fanout-tabs", "latency.p99_ms", "tab latency p99 ms", False),
    ("fanout-tabs", "deliveries_per_s_per_core", "tab deliveries per server core-second", True),
    ("fanout-tabs", "server_cpu_cores", "tabs server cores used", None),
    ("fanout-tabs", "generator_cpu_cores", "tabs generator cores used", None),
    ("fanout-presence", "deliveries_per_s", "presence deliveries/s", True),
    ("fanout-presence", "online.p99_ms", "user_online p99 ms", False),
    ("fanout-presence", "deliveries_per_s_per_core", "presence deliveries per server core-second", True),
    ("presence", "total_s", "N arrivals total s", False),
    ("presence", "frames_per_s", "presence frames/s", True),
    ("presence", "frames_per_s_per_core", "presence frames per server core-second", True),
    ("rest", "me.req_per_s", "GET /users/me req/s", True),
    ("rest", "me.latency.p99_ms", "GET /users/me p99 ms", False),
    ("rest", "me.req_per_s_per_core", "GET /users/me req per server core-second", True),
    ("rest", "conversations.req_per_s", "GET /conversations req/s", True),
    ("rest", "conversations.latency.p99_ms", "GET /conversations p99 ms", False),
    ("rest", "conversations.req_per_s_per_core", "GET /conversations req per server core-second", True),
    ("rest", "messages.req_per_s", "GET .../messages req/s", True),
    ("rest", "messages.latency.p99_ms", "GET .../messages p99 ms", False),
    ("rest", "messages.req_per_s_per_core", "GET .../messages req per server core-second", True),
    ("rest", "send.req_per_s", "POST /messages/send req/s", True),
    ("rest", "send.latency.p99_ms", "POST /messages/send p99 ms", False),
    ("rest", "send.req_per_s_per_core", "POST /messages/send req per server core-second", True),
    ("echo", "msgs_per_s", "raw WS echo round trips/s", True),
    ("echo", "latency.p99_ms", "raw WS echo p99 ms", False),
]

# Ceiling scenario → the scenario whose rows it shares.
CEILING_OF = {"echo-connect": "idle", "echo-fanout": "fanout-tabs"}


def row_scenario(r):
    return CEILING_OF.get(r["scenario"], r["scenario"])


def load(paths):
    rows, meta = [], None
    for p in paths:
        with open(p) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    o = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "meta" in o:
                    meta = meta or o["meta"]
                elif "scenario" in o:
                    derived(o)
                    rows.append(o)
    return rows, meta


def derived(r):
    """Adds per-core efficiency: throughput divided by the server's CPU cores used (robust when other
    jobs take CPU from the servers, which makes raw throughput depend on the machine's load)."""
    res = r.get("results", {})
    cores = res.get("server_cpu_cores")
    for key in ("msgs_per_s", "deliveries_per_s", "frames_per_s"):
        if isinstance(cores, (int, float)) and cores > 0.05 and isinstance(res.get(key), (int, float)):
            res[key + "_per_core"] = res[key] / cores
    for ep in ("me", "conversations", "messages", "send"):
        e = res.get(ep)
        if isinstance(e, dict) and isinstance(e.get("server_cpu_cores"), (int, float)) and e["server_cpu_cores"] > 0.05:
            e["req_per_s_per_core"] = e["req_per_s"] / e["server_cpu_cores"]


def get(o, path):
    for k in path.split("."):
        if not isinstance(o, dict) or k not in o:
            return None
        o = o[k]
    return o


def variant(r):
    p = r.get("params", {})
    if r["scenario"] in ("pairs", "fanout-tabs", "echo-fanout", "echo") and "window" in p:
        procs = p.get("procs", 1)
        return f"W={p['window']}" + (f" P={procs}" if procs > 1 else "")
    if r["scenario"] == "rest" and p.get("rate"):
        return f"at {p['rate']:,} req/s"
    return ""


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float) and abs(v) < 100:
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    return f"{int(round(v)):,}"


def ratio(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return f"{a / b:.2f}×"
    return "–"


def summary(rows, meta, base="natter", other="peer"):
    servers = []
    for r in rows:
        if r["server"] not in servers:
            servers.append(r["server"])
    ceiling = next((r["server"] for r in rows if r["scenario"] in CEILING_OF), None)
    by = {}
    for r in rows:
        by[(row_scenario(r), variant(r), r["server"])] = r
    variants = {}
    for (sc, var, _s) in by:
        variants.setdefault(sc, [])
        if var not in variants[sc]:
            variants[sc].append(var)
    out = []
    if meta:
        out.append(f"Machine: {meta.get('nproc')} × {meta.get('cpu')}, {int(meta.get('mem_kb', 0)) // 1048576} GiB; "
                   f"load before the run {meta.get('loadavg')}; databases on {meta.get('data_fs', '?')}; "
                   f"commit {meta.get('commit')}\n")
    head = "| scenario | metric | " + " | ".join(servers) + f" | {base}/{other} |"
    if ceiling:
        head += f" {base}/{ceiling} |"
    out.append(head)
    out.append("|" + "---|" * (3 + len(servers) + (1 if ceiling else 0)))
    for sc, path, label, higher in METRICS:
        for var in variants.get(sc, []):
            vals = {s: get(by[(sc, var, s)]["results"], path) if (sc, var, s) in by else None for s in servers}
            if all(v is None for v in vals.values()):
                continue
            name = f"{sc} {var}".strip()
            line = f"| {name} | {label} | " + " | ".join(fmt(vals[s]) for s in servers)
            line += f" | {ratio(vals.get(base), vals.get(other))} |"
            if ceiling:
                line += f" {ratio(vals.get(base), vals.get(ceiling))} |"
            out.append(line)
    bad = [f"{r['scenario']}@{r['server']}: {'; '.join(r.get('problems', []))}" for r in rows if not r.get("ok", True)]
    if bad:
        out.append("\nChecks that failed: " + " | ".join(bad))
    return "\n".join(out)


def charts(rows, outdir, stem):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    servers = sorted({r["server"] for r in rows})
    colors = {s: c for s, c in zip(servers, plt.rcParams["axes.prop_cycle"].by_key()["color"])}
    # Throughput vs latency, one panel per message scenario.
    panels = [("pairs", "msgs_per_s", "latency", "1:1 messages (pairs)", "delivered msgs/s"),
              ("fanout-tabs", "deliveries_per_s", "latency", "one user, many tabs", "deliveries/s"),
              ("fanout-presence", "deliveries_per_s", "online", "global presence fan-out", "deliveries/s"),
              ("echo", "msgs_per_s", "latency", "raw WebSocket echo", "round trips/s")]
    panels = [p for p in panels if any(row_scenario(r) == p[0] for r in rows)]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
        for ax, (sc, xkey, lkey, title, xlabel) in zip(axes[0], panels):
            for s in servers:
                runs = sorted((r for r in rows if row_scenario(r) == sc and r["server"] == s
                               and get(r["results"], xkey) is not None),
                              key=lambda r: (get(r, "params.window") or 0, get(r["results"], xkey)))
                if not runs:
                    continue
                xs = [get(r["results"], xkey) for r in runs]
                p50 = [get(r["results"], lkey + ".p50_ms") for r in runs]
                p99 = [get(r["results"], lkey + ".p99_ms") for r in runs]
                ax.plot(xs, p99, "o-", color=colors[s], label=f"{s} p99")
                ax.plot(xs, p50, "s--", color=colors[s], alpha=0.6, label=f"{s} p50")
                if len(runs) > 1:
                    for r, x, y in zip(runs, xs, p99):
                        if get(r, "params.window") is not None and y is not None:
                            ax.annotate(f"W={get(r, 'params.window')}", (x, y), fontsize=7,
                                        textcoords="offset points", xytext=(3, 3))
            ax.set_title(title)
            ax.set_xlabel(xlabel)
            ax.set_ylabel("latency (ms)")
            ax.set_yscale("log")
            ax.set_xlim(left=0)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(outdir, f"{stem}-throughput-latency.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    rest = [r for r in rows if r["scenario"] == "rest"]
    if rest:
        eps = [e for e in ("me", "conversations", "messages", "send") if any(e in r["results"] for r in rest)]
        fig, ax = plt.subplots(figsize=(7, 4))
        width = 0.8 / max(1, len(servers))
        for i, s in enumerate(servers):
            r = next((x for x in rest if x["server"] == s), None)
            if not r:
                continue
            vals = [get(r["results"], f"{e}.req_per_s") or 0 for e in eps]
            ax.bar([j + i * width for j in range(len(eps))], vals, width, label=s, color=colors[s])
        ax.set_xticks([j + width * (len(servers) - 1) / 2 for j in range(len(eps))])
        ax.set_xticklabels(eps)
        ax.set_ylabel("requests/s")
        ax.set_title("REST, keep-alive clients")
        ax.legend()
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(outdir, f"{stem}-rest.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--summary", action="store_true", help="print a markdown table with ratios")
    ap.add_argument("--base", default="natter")
    ap.add_argument("--other", default="peer")
    ap.add_argument("--out", default=None, help="directory for PNGs (default: docs/ beside bench/)")
    ap.add_argument("--stem", default="bench", help="file name prefix of the PNGs")
    a = ap.parse_args()
    rows, meta = load(a.files)
    if not rows:
        print("no results", file=sys.stderr)
        return 1
    if a.summary:
        print(summary(rows, meta, a.base, a.other))
        return 0
    outdir = a.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")
    try:
        paths = charts(rows, outdir, a.stem)
    except ImportError:
        print("matplotlib missing: apt-get install python3-matplotlib python3-munkres "
              "(run with /usr/bin/python3)", file=sys.stderr)
        return 2
    for p in paths:
        print(os.path.normpath(p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
