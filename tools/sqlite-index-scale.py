#!/usr/bin/env python3
# SPDX-License-Identifier: EUPL-1.2
"""What SQLite itself costs per 5000-key upload as the store grows, without the gateway: a measurement behind the
README's "At scale" section (issue 14, part 4). It makes a table shaped like `diagnosis_keys` (a 32-byte dedup MAC
that must be unique across every stored key, PROTOCOL.md 7.1; an 80-byte payload, about a sealed key) in a fresh
SQLite file with the gateway's settings (WAL, synchronous=FULL, temp_store=MEMORY, a 64 MiB page cache unless
--cache-megabytes says otherwise), fills it to each level the fast way (random keys, 500 000 per transaction),
then times uploads of 5000 random keys, each in one transaction of five 1000-row statements as the gateway's
chunks, and after each upload a checkpoint that copies its pages back into the database file (the gateway's
background checkpointer does that work; here it is timed on its own).

Layouts (--layout):
  unique  the gateway's schema: a UNIQUE index on the MAC in the key table.
  split   a trial of a log-structured split: the key table without the index, every stored MAC in a table of its
          own (WITHOUT ROWID), an upload's MACs checked against it and inserted into a small table of recent
          MACs (a stored one is skipped here; a real design would refuse the upload); after each upload a merge
          (the batching run's work) moves them into the large one, timed too.

Python's own work (building rows, executemany) is in every figure and the same at every level.

  python3 tools/sqlite-index-scale.py --levels 10000,1000000,10000000 [--layout split] [--page-size 1024]
                                     [--cache-megabytes 1024]
"""
import argparse
import atexit
import os
import shutil
import sqlite3
import statistics
import tempfile
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--levels", default="10000,1000000,10000000", help="stored keys at which to measure")
parser.add_argument("--layout", choices=("unique", "split"), default="unique")
parser.add_argument("--page-size", type=int, default=4096)
parser.add_argument("--cache-megabytes", type=int, default=64, help="SQLite's page cache (the gateway's default: 64)")
parser.add_argument("--uploads", type=int, default=20, help="uploads measured at each level (1 or more)")
parser.add_argument("--directory", help="where the database file goes (a new temporary folder by default)")
args = parser.parse_args()
if args.uploads < 1:
    parser.error("--uploads must be 1 or more")

folder = args.directory or tempfile.mkdtemp(prefix="efgs-index-scale-")
if not args.directory:
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # also after an error or Ctrl-C
path = os.path.join(folder, "keys.sqlite")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path, isolation_level=None)
db.execute(f"PRAGMA page_size={args.page_size}")
for pragma in ("journal_mode=WAL", "synchronous=FULL", "temp_store=MEMORY",
               f"cache_size=-{args.cache_megabytes * 1024}", "wal_autocheckpoint=0"):
    db.execute("PRAGMA " + pragma)
split = args.layout == "split"
unique = "" if split else "UNIQUE"
db.execute(f"""CREATE TABLE diagnosis_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, upload_batch_id INTEGER NOT NULL,
               position INTEGER NOT NULL, dedup_mac BLOB NOT NULL {unique}, payload BLOB NOT NULL)""")
db.execute("CREATE INDEX diagnosis_keys_batch ON diagnosis_keys (upload_batch_id, position)")
if split:
    db.execute("CREATE TABLE stored_macs (mac BLOB PRIMARY KEY) WITHOUT ROWID")
    db.execute("CREATE TABLE recent_macs (mac BLOB PRIMARY KEY) WITHOUT ROWID")

insert_keys = "INSERT INTO diagnosis_keys (upload_batch_id, position, dedup_mac, payload) VALUES (?, ?, ?, ?)"
next_batch = 0


def rows(count):
    global next_batch
    made = []
    for i in range(count):
        if i % 5000 == 0:
            next_batch += 1
        made.append((next_batch, i % 5000, os.urandom(32), os.urandom(80)))
    return made


def checkpoint():
    """Copies the WAL back; returns the milliseconds taken and the WAL's size in MB (the frames written since the
    checkpoint before: one page and a 24-byte header each)."""
    started = time.perf_counter()
    _, frames, _ = db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
    return (time.perf_counter() - started) * 1000, frames * (args.page_size + 24) / 1e6


stored = 0
print(f"layout {args.layout}, page size {args.page_size}, cache {args.cache_megabytes} MiB, "
      f"{args.uploads} uploads of 5000 keys per level, {path}")
print("stored keys | upload p50 / p90 ms | commit p50 ms | WAL MB per commit p50 | checkpoint p50 ms | merge p50 ms "
      "| per upload, all in ms")
first = None
for level in (int(text) for text in args.levels.split(",")):
    while stored < level:
        part = rows(min(500_000, level - stored))
        db.execute("BEGIN")
        db.executemany(insert_keys, part)
        if split:
            db.executemany("INSERT INTO stored_macs VALUES (?)", sorted((row[2],) for row in part))
        db.execute("COMMIT")
        checkpoint()
        stored += len(part)
    uploads, commits, wal, checkpoints, merges = [], [], [], [], []
    for _ in range(args.uploads):
        upload = rows(5000)
        started = time.perf_counter()
        db.execute("BEGIN")
        for start in range(0, 5000, 1000):
            chunk = upload[start:start + 1000]
            if split:
                db.executemany(
                    "INSERT INTO recent_macs SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM stored_macs WHERE mac = ?1)",
                    [(row[2],) for row in chunk])
            db.executemany(insert_keys, chunk)
        committing = time.perf_counter()
        db.execute("COMMIT")
        ended = time.perf_counter()
        uploads.append((ended - started) * 1000)
        commits.append((ended - committing) * 1000)
        milliseconds, megabytes = checkpoint()
        checkpoints.append(milliseconds)
        wal.append(megabytes)
        if split:
            started = time.perf_counter()
            db.execute("BEGIN")
            db.execute("INSERT INTO stored_macs SELECT mac FROM recent_macs ORDER BY mac")
            db.execute("DELETE FROM recent_macs")
            db.execute("COMMIT")
            merges.append((time.perf_counter() - started) * 1000 + checkpoint()[0])
    stored += 5000 * args.uploads
    total = statistics.mean(uploads) + statistics.mean(checkpoints) + (statistics.mean(merges) if merges else 0)
    first = first or total
    p90 = statistics.quantiles(uploads, n=10)[8] if len(uploads) > 1 else uploads[0]
    print(f"{level:>11,} | {statistics.median(uploads):.1f} / {p90:.1f} | {statistics.median(commits):.1f} | "
          f"{statistics.median(wal):.1f} | {statistics.median(checkpoints):.1f} | {statistics.median(merges) if merges else 0:.1f} | "
          f"{total:.1f} (x{total / first:.2f})", flush=True)
db.close()
