#!/usr/bin/env python3
"""Print criterion medians of benches/parse.rs (and any other group) as a markdown table with
ratios against the `naive_split` baseline of the same group.

Usage: python3 scripts/bench_table.py [target/criterion]
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"


def median_ns(group, bench):
    path = os.path.join(root, group, bench, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        return None


def throughput(group, bench):
    path = os.path.join(root, group, bench, "new", "benchmark.json")
    try:
        with open(path) as f:
            t = json.load(f).get("throughput") or {}
            return t.get("Bytes")
    except FileNotFoundError:
        return None


for group in sorted(os.listdir(root)):
    gdir = os.path.join(root, group)
    if not os.path.isdir(gdir) or group == "report":
        continue
    benches = sorted(b for b in os.listdir(gdir) if os.path.isdir(os.path.join(gdir, b)) and b != "report")
    base = median_ns(group, "naive_split")
    rows = []
    for b in benches:
        ns = median_ns(group, b)
        if ns is None:
            continue
        size = throughput(group, b)
        mbs = f"{size / ns * 1e3:,.0f}" if size else "-"
        ratio = f"{base / ns:.2f}x" if base else "-"
        rows.append(f"| {b} | {ns / 1e6:.3f} ms | {mbs} | {ratio} |")
    if rows:
        print(f"\n**{group}**\n")
        print("| bench | median | MB/s | vs naive_split |")
        print("|---|---:|---:|---:|")
        print("\n".join(rows))
