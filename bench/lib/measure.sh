# shellcheck shell=bash
# bench/lib/measure.sh — the timing half of the benchmarks' helpers: commands read
# from a CMDFILE (NAME<TAB>COMMAND per line), run interleaved (hyperfine, or a loop),
# their peak RSS, and the summary table with summary.json. Sourced by bench/common.sh,
# which holds the set-up half (packages, binaries, rootfs, bundles, cgroups, clean-up);
# not sourced alone.

# bench_cmdfile_read CMDFILE — fill BENCH_NAMES and BENCH_CMDS from CMDFILE.
bench_cmdfile_read() {
	local name cmd
	BENCH_NAMES=() BENCH_CMDS=()
	while IFS=$'\t' read -r name cmd; do
		[[ -n $name && $name != '#'* ]] || continue
		BENCH_NAMES+=("$name")
		BENCH_CMDS+=("$cmd")
	done <"$1"
	((${#BENCH_NAMES[@]})) || bench_die "no commands in $1"
}

# bench_smoke CMDFILE — run each command once; on failure show its output and fail.
bench_smoke() {
	local i out argv
	bench_cmdfile_read "$1"
	for i in "${!BENCH_NAMES[@]}"; do
		read -r -a argv <<<"${BENCH_CMDS[i]}"
		if ! out=$("${argv[@]}" </dev/null 2>&1); then
			printf '%s\n' "$out" >&2
			bench_warn "${BENCH_NAMES[i]} failed: ${BENCH_CMDS[i]}"
			return 1
		fi
	done
}

bench_hyperfine_works() {
	command -v hyperfine >/dev/null 2>&1 &&
		hyperfine -N --runs 2 --style none --export-json /dev/null true >/dev/null 2>&1
}

# bench_measure CMDFILE OUTDIR RUNS ROUNDS WARMUP — time every command RUNS times.
# The runs are split into ROUNDS rounds; each round runs every command (rotating
# which goes first), so a burst of load from elsewhere hits all of them alike.
# With hyperfine: one `hyperfine -N --runs RUNS/ROUNDS --warmup WARMUP` per round,
# JSON in OUTDIR/round-N.json. Without it (or BENCH_NO_HYPERFINE=1): a python3 loop
# that interleaves every single run (perf_counter around subprocess.run), written as
# OUTDIR/loop.json in hyperfine's format; the summary cuts it into ROUNDS rounds.
bench_measure() {
	local cmdfile=$1 out=$2 runs=$3 rounds=$4 warmup=$5 r k i n
	bench_cmdfile_read "$cmdfile"
	local count=${#BENCH_NAMES[@]}
	((rounds >= 1)) || rounds=1
	((runs / rounds >= 2)) || rounds=$((runs / 2 > 0 ? runs / 2 : 1))
	mkdir -p "$out"
	rm -f "$out"/round-*.json "$out"/loop.json
	if [[ ${BENCH_NO_HYPERFINE:-0} != 1 ]] && bench_hyperfine_works; then
		echo hyperfine >"$out/method"
		for ((r = 0; r < rounds; r++)); do
			n=$((runs / rounds + (r < runs % rounds ? 1 : 0)))
			local args=()
			for ((k = 0; k < count; k++)); do
				i=$(((k + r) % count))
				args+=(-n "${BENCH_NAMES[i]}" "${BENCH_CMDS[i]}")
			done
			bench_log "round $((r + 1))/$rounds: hyperfine -N --runs $n --warmup $warmup (${count} commands, load $(cut -d' ' -f1 /proc/loadavg))"
			hyperfine -N --runs "$n" --warmup "$warmup" --style basic \
				--export-json "$out/round-$((r + 1)).json" "${args[@]}" >"$out/round-$((r + 1)).txt" 2>&1 || {
				tail -n 20 "$out/round-$((r + 1)).txt" >&2
				bench_die "hyperfine failed in round $((r + 1)) (output: $out/round-$((r + 1)).txt)"
			}
		done
	else
		echo loop >"$out/method"
		bench_log "timed loop: $runs interleaved runs of ${count} commands (warmup $warmup)"
		# Python's subprocess starts children with vfork/posix_spawn: a bash loop's
		# fork of itself costs several ms on a small VM and would blur the figures.
		python3 - "$cmdfile" "$out/loop.json" "$runs" "$rounds" "$warmup" <<'PY' || bench_die "the timed loop failed"
import json, resource, statistics, subprocess, sys, time
cmdfile, dest, runs, rounds, warmup = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
cmds = []
for line in open(cmdfile):
    line = line.rstrip("\n")
    if line and not line.startswith("#"):
        name, cmd = line.split("\t", 1)
        cmds.append((name, cmd.split()))
cpu = {}
def run(name, argv):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        sys.exit(f"{name} exited {rc}: {' '.join(argv)}")
    u, s = cpu.setdefault(name, [0.0, 0.0])
    cpu[name] = [u + r1.ru_utime - r0.ru_utime, s + r1.ru_stime - r0.ru_stime]
    return t1 - t0
for name, argv in cmds:
    for _ in range(warmup):
        run(name, argv)
cpu.clear()
times = {name: [] for name, _ in cmds}
for r in range(runs):  # every run interleaved, rotating which command goes first
    for k in range(len(cmds)):
        name, argv = cmds[(k + r) % len(cmds)]
        times[name].append(run(name, argv))
res = []
for name, _ in cmds:
    t = times[name]
    res.append({"command": name, "mean": statistics.mean(t),
                "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
                "median": statistics.median(t), "min": min(t), "max": max(t), "times": t,
                "user": cpu[name][0] / len(t), "system": cpu[name][1] / len(t)})
json.dump({"results": res, "rounds": rounds}, open(dest, "w"), indent=1)
PY
	fi
}

# bench_peak_rss CMDFILE OUTDIR N — run each command N times under GNU time and keep
# %M (peak resident set in KiB of the process and the descendants it waited for) in
# OUTDIR/rss.tsv: NAME<TAB>KiB, one line per run.
bench_peak_rss() {
	local cmdfile=$1 out=$2 n=$3 i k argv tf
	bench_cmdfile_read "$cmdfile"
	mkdir -p "$out"
	: >"$out/rss.tsv"
	tf=$out/rss.tmp
	for ((k = 0; k < n; k++)); do
		for i in "${!BENCH_NAMES[@]}"; do
			read -r -a argv <<<"${BENCH_CMDS[i]}"
			/usr/bin/time -f %M -o "$tf" "${argv[@]}" </dev/null >/dev/null 2>&1 ||
				bench_die "${BENCH_NAMES[i]} failed under /usr/bin/time: ${BENCH_CMDS[i]}"
			printf '%s\t%s\n' "${BENCH_NAMES[i]}" "$(tail -n1 "$tf")" >>"$out/rss.tsv"
		done
	done
	rm -f "$tf"
}

# bench_summarize OUTDIR [SUBJECT] — print a Markdown table (ms per run: mean ± sd,
# median, min; ratio SUBJECT/other on the mean and the median; CPU time user+sys;
# peak RSS) and the
# noise (per-round means, the spread of the ratios across rounds, load average);
# write OUTDIR/summary.json. SUBJECT defaults to the first command.
bench_summarize() {
	python3 - "$1" "${2:-}" <<'PY'
import glob, json, os, statistics, sys
out, subject = sys.argv[1], sys.argv[2]
files = sorted(glob.glob(os.path.join(out, "round-*.json")),
               key=lambda f: int(f.rsplit("-", 1)[1].split(".")[0]))
rounds = []  # list of {name: [times]}
order = []
cpu = {}  # name -> [user+system mean of each round], seconds
if files:
    for f in files:
        d = json.load(open(f))
        rounds.append({r["command"]: r["times"] for r in d["results"]})
        for r in d["results"]:
            if "user" in r and "system" in r:
                cpu.setdefault(r["command"], []).append(r["user"] + r["system"])
            if r["command"] not in order:
                order.append(r["command"])
else:
    d = json.load(open(os.path.join(out, "loop.json")))
    nr = max(1, d.get("rounds", 1))
    for r in d["results"]:
        order.append(r["command"])
        if "user" in r and "system" in r:
            cpu[r["command"]] = [r["user"] + r["system"]]
    for k in range(nr):
        rd = {}
        for r in d["results"]:
            t = r["times"]
            size = len(t) // nr
            rd[r["command"]] = t[k * size:(k + 1) * size] if k < nr - 1 else t[k * size:]
        rounds.append(rd)
subject = subject or order[0]
times = {n: [x for rd in rounds for x in rd.get(n, [])] for n in order}
rss = {}
if os.path.exists(os.path.join(out, "rss.tsv")):
    for line in open(os.path.join(out, "rss.tsv")):
        n, kb = line.split("\t")
        rss.setdefault(n, []).append(int(kb))
ms = lambda s: s * 1000.0
summary = {"subject": subject, "method": open(os.path.join(out, "method")).read().strip()
           if os.path.exists(os.path.join(out, "method")) else "?", "commands": {}}
for n in order:
    t = times[n]
    e = {"runs": len(t), "mean_ms": ms(statistics.mean(t)),
         "sd_ms": ms(statistics.stdev(t)) if len(t) > 1 else 0.0,
         "median_ms": ms(statistics.median(t)), "min_ms": ms(min(t)), "max_ms": ms(max(t)),
         "round_means_ms": [ms(statistics.mean(rd[n])) for rd in rounds if rd.get(n)]}
    if n in cpu:
        e["cpu_ms"] = ms(statistics.mean(cpu[n]))
    if n in rss:
        e["rss_kib_max"] = max(rss[n])
        e["rss_kib_median"] = statistics.median(rss[n])
    summary["commands"][n] = e
S = summary["commands"][subject]
for n in order:
    if n == subject:
        continue
    e = summary["commands"][n]
    e["ratio_mean"] = S["mean_ms"] / e["mean_ms"]
    e["ratio_median"] = S["median_ms"] / e["median_ms"]
    per = [a / b for a, b in zip(S["round_means_ms"], e["round_means_ms"])]
    e["ratio_rounds"] = per
try:
    summary["loadavg_before"] = open(os.path.join(out, "load.before")).read().split()[:3]
    summary["loadavg_after"] = open(os.path.join(out, "load.after")).read().split()[:3]
except OSError:
    pass
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)

print(f"| runtime | ms per container (mean ± sd) | median | min | {subject} / it (mean) | {subject} / it (median) | CPU ms (user+sys) | peak RSS (max of runs) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for n in order:
    e = summary["commands"][n]
    r1 = f"{e['ratio_mean']:.2f}" if "ratio_mean" in e else "—"
    r2 = f"{e['ratio_median']:.2f}" if "ratio_median" in e else "—"
    rs = f"{e['rss_kib_max'] / 1024:.1f} MiB" if "rss_kib_max" in e else "—"
    cp = f"{e['cpu_ms']:.1f}" if "cpu_ms" in e else "—"
    print(f"| {n} | {e['mean_ms']:.2f} ± {e['sd_ms']:.2f} | {e['median_ms']:.2f} | {e['min_ms']:.2f} | {r1} | {r2} | {cp} | {rs} |")
print()
print(f"method: {summary['method']}, {len(rounds)} round(s), {S['runs']} runs each")
for n in order:
    e = summary["commands"][n]
    cv = 100.0 * e["sd_ms"] / e["mean_ms"] if e["mean_ms"] else 0.0
    line = f"  {n}: per-round means " + " ".join(f"{x:.1f}" for x in e["round_means_ms"]) + f" ms; cv {cv:.0f}%"
    if "ratio_rounds" in e and e["ratio_rounds"]:
        line += f"; {subject}/{n} per round {min(e['ratio_rounds']):.2f}..{max(e['ratio_rounds']):.2f}"
    print(line)
if "loadavg_before" in summary:
    print("  load average before: " + " ".join(summary["loadavg_before"]) +
          ", after: " + " ".join(summary["loadavg_after"]))
PY
}
