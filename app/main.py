"""The husk demo service: a FastAPI app that describes the container it runs in.

GET /health  -> {"status": "ok"}
GET /        -> hostname, PID, namespace ids, cgroup limits and uptime, as seen
                from inside

Run it with Debian's interpreter and uvicorn:
    /usr/bin/python3 -m uvicorn --app-dir app main:app --host 0.0.0.0 --port 8000
"""

import os
import socket
import time

from fastapi import FastAPI

STARTED = time.monotonic()
CGROUP_ROOT = "/sys/fs/cgroup"

app = FastAPI(title="husk demo", version="1.0")


def read_text(path):
    """The stripped content of a small file, or None if it cannot be read."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def namespaces():
    """Namespace ids of this process: {"pid": "pid:[4026532179]", ...}."""
    ns_dir = "/proc/self/ns"
    ids = {}
    try:
        names = sorted(os.listdir(ns_dir))
    except OSError:
        return ids
    for name in names:
        try:
            ids[name] = os.readlink(os.path.join(ns_dir, name))
        except OSError:
            ids[name] = "unknown"
    return ids


def own_cgroups():
    """/proc/self/cgroup as {controller: path}; "" is the v2 (unified) entry.

    In a cgroup namespace the paths are relative to the container's own cgroup,
    so they are "/" for a process of the container.
    """
    groups = {}
    for line in (read_text("/proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for controller in controllers.split(",") if controllers else [""]:
            groups[controller] = path
    return groups


def find_cgroup_file(directory_candidates, name):
    """The first DIR/name that exists among the candidates, or None."""
    for directory in directory_candidates:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def candidates(mount, path):
    """Where our cgroup may be seen: below the mount at our path, or at the mount
    root (a cgroup namespace or a container-private mount shows our cgroup there)."""
    dirs = []
    if path and path != "/":
        dirs.append(os.path.join(mount, path.lstrip("/")))
    dirs.append(mount)
    return dirs


def human_bytes(n):
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n}B"


def limits_v2(path):
    dirs = candidates(CGROUP_ROOT, path)
    mem_file = find_cgroup_file(dirs, "memory.max")
    cpu_file = find_cgroup_file(dirs, "cpu.max")
    pids_file = find_cgroup_file(dirs, "pids.max")
    out = {"version": "v2", "path": path}
    mem = read_text(mem_file) if mem_file else None
    if mem is None:
        out["memory_limit"] = "unknown"
    elif mem == "max":
        out["memory_limit"] = "unlimited"
    else:
        out["memory_limit_bytes"] = int(mem)
        out["memory_limit"] = human_bytes(int(mem))
    cpu = read_text(cpu_file) if cpu_file else None
    if cpu is None:
        out["cpu_limit"] = "unknown"
    else:
        quota, _, period = cpu.partition(" ")
        if quota == "max":
            out["cpu_limit"] = "unlimited"
        else:
            out["cpu_quota_us"], out["cpu_period_us"] = int(quota), int(period or 100000)
            out["cpu_limit"] = round(int(quota) / int(period or 100000), 3)
    pids = read_text(pids_file) if pids_file else None
    out["pids_limit"] = "unknown" if pids is None else (
        "unlimited" if pids == "max" else int(pids))
    return out


# A v1 memory limit at or above this is the kernel's "no limit" (PAGE_COUNTER_MAX).
V1_UNLIMITED = 1 << 62


def limits_v1(groups):
    out = {"version": "v1", "path": groups.get("memory", groups.get("cpu", "/"))}
    mem_file = find_cgroup_file(
        candidates(os.path.join(CGROUP_ROOT, "memory"), groups.get("memory", "/")),
        "memory.limit_in_bytes")
    mem = read_text(mem_file) if mem_file else None
    if mem is None:
        out["memory_limit"] = "unknown"
    elif int(mem) >= V1_UNLIMITED:
        out["memory_limit"] = "unlimited"
    else:
        out["memory_limit_bytes"] = int(mem)
        out["memory_limit"] = human_bytes(int(mem))
    cpu_path = groups.get("cpu", "/")
    cpu_dirs = (candidates(os.path.join(CGROUP_ROOT, "cpu"), cpu_path)
                + candidates(os.path.join(CGROUP_ROOT, "cpu,cpuacct"), cpu_path))
    quota_file = find_cgroup_file(cpu_dirs, "cpu.cfs_quota_us")
    period_file = find_cgroup_file(cpu_dirs, "cpu.cfs_period_us")
    quota = read_text(quota_file) if quota_file else None
    period = read_text(period_file) if period_file else None
    if quota is None:
        out["cpu_limit"] = "unknown"
    elif int(quota) < 0:
        out["cpu_limit"] = "unlimited"
    else:
        period_us = int(period or 100000)
        out["cpu_quota_us"], out["cpu_period_us"] = int(quota), period_us
        out["cpu_limit"] = round(int(quota) / period_us, 3)
    pids_file = find_cgroup_file(
        candidates(os.path.join(CGROUP_ROOT, "pids"), groups.get("pids", "/")),
        "pids.max")
    pids = read_text(pids_file) if pids_file else None
    out["pids_limit"] = "unknown" if pids is None else (
        "unlimited" if pids == "max" else int(pids))
    return out


def cgroup_limits():
    """Memory, CPU and pids limits from this process's cgroup, v1 or v2.

    A hybrid host lists v1 controllers and an empty v2 entry; the v1 controllers
    are the ones that hold the limits there.
    """
    groups = own_cgroups()
    if not groups:
        return {"version": "unknown", "memory_limit": "unknown",
                "cpu_limit": "unknown", "pids_limit": "unknown"}
    if "memory" in groups or "cpu" in groups or "cpu,cpuacct" in groups:
        return limits_v1(groups)
    return limits_v2(groups.get("", "/"))


def container_uptime():
    """Seconds since PID 1 of our PID namespace started (the container's age)."""
    stat = read_text("/proc/1/stat")
    uptime = read_text("/proc/uptime")
    if not stat or not uptime:
        return None
    # Field 22 (starttime, clock ticks since boot) follows the ')' of the comm field.
    fields = stat.rsplit(")", 1)[1].split()
    start_ticks = int(fields[19])
    return round(float(uptime.split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK"), 2)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/")
def describe():
    return {
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "uid": os.getuid(),
        "namespaces": namespaces(),
        "cgroup": cgroup_limits(),
        "uptime_seconds": round(time.monotonic() - STARTED, 2),
        "container_uptime_seconds": container_uptime(),
    }
