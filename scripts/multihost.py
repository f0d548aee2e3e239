#!/usr/bin/env python3
"""Chartex on several hosts, for real: three network namespaces on this machine joined by veth
pairs (loopback-range addresses only), PostgreSQL in one, a worker in each of the two others.
Mid-run, one worker's link is cut while it holds a document: the other worker takes that
document over once its lease has run out, and nothing is lost or stored twice. The link is then
restored and the cut worker reconnects and stops cleanly.

    sudo scripts/multihost.py [--chartex .build/debug/chartex] [--copies 2] [--lease 10]

Needs root (ip netns) and PostgreSQL (scripts/setup.sh --deps). Prints what happened and exits
non-zero when a document was lost, doubled, or read differently from a single worker.

Topology (each /30 is one veth pair; the database side listens on both):
    chx-db  127.77.1.1 <-> 127.77.1.2  chx-w1
    chx-db  127.77.2.1 <-> 127.77.2.2  chx-w2
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = ["chx-db", "chx-w1", "chx-w2"]
LINKS = {"chx-w1": ("127.77.1.1", "127.77.1.2", "vdb1", "vw1"),
         "chx-w2": ("127.77.2.1", "127.77.2.2", "vdb2", "vw2")}


def sh(*args, check=True, capture=False, ns=None, env=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    result = subprocess.run(cmd, check=False, text=True, env=env,
                            stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and result.returncode != 0:
        raise SystemExit(f"multihost: {' '.join(cmd)} failed ({result.returncode}): {result.stderr if capture else ''}")
    return result


def teardown():
    for ns in NS:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def network():
    teardown()
    for ns in NS:
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        # 127/8 is one local route on lo: drop it (127.0.0.1's own route stays), so the other namespaces'
        # loopback-range addresses are reached over the veth links, and let them be routed.
        sh("ip", "route", "del", "local", "127.0.0.0/8", "dev", "lo", "table", "local", ns=ns)
        sh("sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", ns=ns)
    for worker, (db_ip, w_ip, db_if, w_if) in LINKS.items():
        sh("ip", "link", "add", db_if, "netns", "chx-db", "type", "veth", "peer", "name", w_if, "netns", worker)
        for ns, ifname, ip in (("chx-db", db_if, db_ip), (worker, w_if, w_ip)):
            sh("sysctl", "-qw", f"net.ipv4.conf.{ifname}.route_localnet=1", ns=ns)
            sh("ip", "addr", "add", f"{ip}/30", "dev", ifname, ns=ns)
            sh("ip", "link", "set", ifname, "up", ns=ns)


def sql(url, query, ns):
    out = sh("psql", url, "-Atqc", query, ns=ns, capture=True).stdout.strip()
    return out


def documents(folder, copies):
    """Samples/' charts, each `copies` times with different bytes (a PDF comment after %%EOF)."""
    paths = []
    for name in sorted(os.listdir(os.path.join(ROOT, "Samples"))):
        if not name.endswith(".pdf"):
            continue
        data = open(os.path.join(ROOT, "Samples", name), "rb").read()
        for i in range(copies):
            path = os.path.join(folder, f"{name[:-4]}-{i + 1}.pdf")
            with open(path, "wb") as f:
                f.write(data + (f"\n%chartex multihost copy {i + 1}\n".encode() if i else b""))
            paths.append(path)
    return paths


def facts(chartex, db, ns=None):
    out = sh(chartex, "export", "--db", db, ns=ns, capture=True).stdout
    rows = []
    for document in json.loads(out)["documents"]:
        for fact in document["facts"]:
            evidence = fact.get("evidence") or {}
            rows.append((document["fileName"], fact["group"], fact["item"], fact["field"], fact.get("value"),
                         fact["status"], evidence.get("page"), json.dumps(evidence.get("bbox"))))
    return sorted(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chartex", default=os.path.join(ROOT, ".build/debug/chartex"))
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--lease", type=int, default=10)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("multihost: needs root for ip netns")
    chartex = os.path.abspath(args.chartex)
    work = tempfile.mkdtemp(prefix="chartex-multihost-")
    os.chmod(work, 0o755)
    cluster = os.path.join(work, "pg")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    workers = {}
    try:
        network()
        listen = ",".join(db_ip for db_ip, _, _, _ in LINKS.values())
        sh(os.path.join(ROOT, "scripts/postgres-cluster.sh"), "start", cluster, "--port", "5432", "--listen", listen,
           ns="chx-db", capture=True)
        urls = {w: f"postgres://chartex@{db_ip}:5432/chartex" for w, (db_ip, _, _, _) in LINKS.items()}
        # Short limits, so the cut worker notices within seconds (the defaults are 30 and 120 s).
        tuned = {w: u + "?connect_timeout=5&query_timeout=8" for w, u in urls.items()}
        pdfs = documents(work, args.copies)
        for p in pdfs:
            os.chmod(p, 0o644)

        # The reference: one worker, one SQLite file, in the root namespace.
        reference_db = os.path.join(work, "reference.sqlite")
        started = time.time()
        sh(chartex, "ingest", "--db", reference_db, "--semantic-index", "off", "--jobs", "1", *pdfs, env=env, capture=True)
        single_seconds = time.time() - started

        sh(chartex, "ingest", "--db", tuned["chx-w1"], "--enqueue-only", *pdfs, ns="chx-w1", env=env, capture=True)
        logs = {}
        started = time.time()
        for w in LINKS:
            logs[w] = open(os.path.join(work, f"{w}.log"), "w")
            extra = ["--follow"] if w == "chx-w1" else []
            workers[w] = subprocess.Popen(
                ["ip", "netns", "exec", w, chartex, "worker", "--db", tuned[w], "--jobs", "1", "--semantic-index", "off",
                 "--lease-seconds", str(args.lease), "--worker-name", w, "--store-outage-seconds", "120", *extra],
                stdout=logs[w], stderr=subprocess.STDOUT, env=env)

        # Cut chx-w2's link once it holds a document and has stored a page of it.
        held = None
        deadline = time.time() + 300
        while time.time() < deadline and held is None:
            time.sleep(0.3)
            row = sql(urls["chx-w1"], """
                SELECT j.documentId FROM job j WHERE j.state = 'running' AND j.leaseOwner LIKE 'chx-w2:%'
                  AND EXISTS (SELECT 1 FROM page p WHERE p.documentId = j.documentId)
                  AND (SELECT count(*) FROM page p WHERE p.documentId = j.documentId)
                      < coalesce((SELECT pageCount FROM document d WHERE d.id = j.documentId), 99)
                LIMIT 1""", ns="chx-w1")
            held = int(row) if row else None
        if held is None:
            raise SystemExit("multihost: chx-w2 never held a document mid-way; nothing to cut")
        cut_at = time.time()
        pages_at_cut = int(sql(urls["chx-w1"], f"SELECT count(*) FROM page WHERE documentId = {held}", ns="chx-w1"))
        sh("ip", "link", "set", "vw2", "down", ns="chx-w2")
        print(f"multihost: cut chx-w2's link at {cut_at - started:.1f} s, holding document {held} "
              f"({pages_at_cut} pages stored)")

        # chx-w1 finishes everything, the held document after its lease.
        total = len(pdfs)
        while time.time() < deadline:
            done = int(sql(urls["chx-w1"], "SELECT count(*) FROM document WHERE status IN ('completed', 'partial', 'failed')",
                           ns="chx-w1"))
            if done == total:
                break
            time.sleep(0.5)
        finished_at = time.time()
        taken_over_by = sql(urls["chx-w1"], f"SELECT attempts FROM job WHERE documentId = {held}", ns="chx-w1")

        # The link comes back: chx-w2 reconnects, finds nothing to do, and exits.
        sh("ip", "link", "set", "vw2", "up", ns="chx-w2")
        try:
            workers["chx-w2"].wait(timeout=120)
        except subprocess.TimeoutExpired:
            workers["chx-w2"].kill()
        workers["chx-w1"].terminate()
        workers["chx-w1"].wait(timeout=60)

        url = urls["chx-w1"]
        figures = {
            "documents": total,
            "completed": int(sql(url, "SELECT count(*) FROM document WHERE status = 'completed'", ns="chx-w1")),
            "pagesDoubled": int(sql(url, "SELECT count(*) FROM (SELECT documentId, number FROM page GROUP BY 1, 2 "
                                         "HAVING count(*) > 1) d", ns="chx-w1")),
            "pagesMissing": int(sql(url, "SELECT coalesce(sum(d.pageCount), 0) - (SELECT count(*) FROM page) FROM document d",
                                    ns="chx-w1")),
            "heldDocumentAttempts": int(taken_over_by or 0),
            "secondsFromCutToDone": round(finished_at - cut_at, 1),
            "lease": args.lease,
            "singleWorkerSeconds": round(single_seconds, 1),
            "twoHostSeconds": round(finished_at - started, 1),
            "cutWorkerExit": workers["chx-w2"].returncode,
            "keptWorkerExit": workers["chx-w1"].returncode,
        }
        figures["factsIdenticalToOneWorker"] = facts(chartex, url, ns="chx-w1") == facts(chartex, reference_db)
        for w in LINKS:
            logs[w].close()
        print(json.dumps(figures, indent=2))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=2)
        ok = (figures["completed"] == total and figures["pagesDoubled"] == 0 and figures["pagesMissing"] == 0
              and figures["heldDocumentAttempts"] == 2 and figures["factsIdenticalToOneWorker"]
              and figures["cutWorkerExit"] == 0)
        if not ok:
            for w in LINKS:
                print(f"--- {w} log:\n" + open(os.path.join(work, f"{w}.log")).read()[-3000:], file=sys.stderr)
        print("multihost: " + ("every document once, the cut worker's document taken over: OK" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
        subprocess.run(["ip", "netns", "exec", "chx-db", os.path.join(ROOT, "scripts/postgres-cluster.sh"), "stop", cluster],
                       stderr=subprocess.DEVNULL)
        teardown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
