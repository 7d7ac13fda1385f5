#!/usr/bin/env python3
"""Bounded soak test of the Babblr server.

Starts its own stand-in Ollama and `babblr serve` on loopback (fresh SQLite in
a temporary folder), then for `--duration` seconds runs all of these at once:

- `--chats` chat workers (default 200): each creates a conversation and sends
  `POST /chat` on a kept-alive connection until time is up;
- `--idle` idle connections (default 500) that never send a byte; when the
  server closes one it is opened again (a silent connection is closed by
  BABBLR_IDLE_TIMEOUT, 60 s by default; the 10 s header timeout starts only
  once a byte arrives);
- one slowloris client: a request line plus one header every 2 s, never
  finished; the server should cut it after its header timeout (10 s);
- one upload bomb a second: `POST /stt/transcribe` with a 2 kB WAV claiming
  4,294,967,291 Hz (the server should answer 422, quickly);
- a `/health` prober: one request every 100 ms on a fresh connection;
- an RSS sampler: the server's VmRSS every 5 s.

Then it stops the servers and reports status counts per kind, 5xx, /health
latency percentiles, RSS growth, idle reopens, slowloris cuts, chat
throughput and latency, and checks the database: every conversation a worker
used must hold exactly as many user messages, and as many tutor messages, as
that worker got 200 answers (every chat stored exactly once).

Exit status 1 (`soak: FAIL (...)`) on any 5xx, any storage mismatch,
/health p99 >= 50 ms, or RSS at the end > 1.5x RSS at 1 minute; else 0
(`soak: PASS`). The whole run is bounded: every loop stops at the deadline,
every socket operation has a timeout, and a watchdog kills everything at
duration + 120 s.

Run (after `scripts/build.sh release`, or `scripts/build.sh` for a debug
binary; target/release/babblr is used when it exists):

    python3 scripts/soak.py --duration 600

Options: --chats, --idle, --bin, --whisper-model, --request-timeout, --keep.
Python 3 standard library only; the client measures from the same machine, so
on a small box its own CPU use counts in the latencies it reports.
"""

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"

HEALTH_P99_LIMIT_MS = 50.0
RSS_GROWTH_LIMIT = 1.5
RSS_BASELINE_S = 60.0
CONNECT_TIMEOUT_S = 5.0
HEALTH_TIMEOUT_S = 10.0
UPLOAD_TIMEOUT_S = 30.0
SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 40.0
HARD_STOP_MARGIN_S = 120.0


# --------------------------------------------------------------------------
# Command line and limits


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=600, help="seconds of load (default 600)")
    p.add_argument("--chats", type=int, default=200, help="concurrent chat workers (default 200)")
    p.add_argument("--idle", type=int, default=500, help="idle connections held (default 500)")
    p.add_argument("--bin", help="babblr binary (default target/release/babblr, else target/debug/babblr)")
    p.add_argument(
        "--whisper-model",
        default=os.path.normpath(os.path.join(ROOT, "..", "shared", "models", "ggml-synthetic-64.bin")),
        help="BABBLR_WHISPER_MODEL for the server",
    )
    p.add_argument("--request-timeout", type=float, default=60.0, help="timeout of one chat request, s")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs)")
    args = p.parse_args()
    if args.duration <= 0 or args.chats < 0 or args.idle < 0:
        p.error("--duration must be > 0; --chats and --idle >= 0")
    return args


def default_binary():
    release = os.path.join(ROOT, "target", "release", "babblr")
    debug = os.path.join(ROOT, "target", "debug", "babblr")
    return release if os.path.exists(release) else debug


def raise_fd_limit(needed):
    """Soft RLIMIT_NOFILE up to the hard limit; warns when still short."""
    try:
        import resource
    except ImportError:
        print("warning: no `resource` module; cannot check the open-file limit")
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as e:
            print(f"warning: cannot raise the open-file limit: {e}")
    if soft != resource.RLIM_INFINITY and soft < needed:
        print(f"warning: open-file limit is {soft} (< {needed}); lower --idle/--chats or raise `ulimit -n`")


# --------------------------------------------------------------------------
# The servers


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Servers:
    """The stand-in Ollama and the app, as child processes with logs in `tmp`."""

    def __init__(self, binary, tmp, whisper_model):
        self.binary = binary
        self.tmp = tmp
        self.whisper_model = whisper_model
        self.llm_port = free_port()
        self.app_port = free_port()
        self.db_path = os.path.join(tmp, "soak.db")
        self.llm = None
        self.app = None
        self.logs = []

    def _spawn(self, name, argv, env):
        log = open(os.path.join(self.tmp, f"{name}.log"), "wb")
        self.logs.append(log)
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def start(self):
        self.llm = self._spawn(
            "standin",
            [os.path.join(os.path.dirname(self.binary), "babblr-standin"), "--addr", f"{HOST}:{self.llm_port}", "--token-delay-ms", "5"],
            dict(os.environ, RUST_LOG="warn"),
        )
        env = dict(
            os.environ,
            BABBLR_ADDR=f"{HOST}:{self.app_port}",
            BABBLR_LLM_PROVIDER="ollama",
            BABBLR_LLM_URL=f"http://{HOST}:{self.llm_port}",
            BABBLR_LLM_WARMUP="0",
            DATABASE_URL=f"sqlite://{self.db_path}",
            LEPTOS_SITE_ROOT="target/site",
            RUST_LOG="warn",
            BABBLR_WHISPER_WARMUP="0",
            BABBLR_WHISPER_MODEL=self.whisper_model,
        )
        self.app = self._spawn("app", [self.binary, "serve"], env)

    def pids(self):
        return [p.pid for p in (self.app, self.llm) if p is not None]

    def app_exited(self):
        return self.app is not None and self.app.poll() is not None

    @staticmethod
    def _stop(proc, timeout):
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def stop(self):
        """Stops the app first (graceful: SQLite is left closed), then the LLM."""
        self._stop(self.app, SERVER_STOP_TIMEOUT_S)
        self._stop(self.llm, 5)
        for log in self.logs:
            log.close()
        self.logs = []

    def kill_now(self):
        """For the watchdog: no waiting, no questions."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def log_tail(self, name, lines=20):
        try:
            with open(os.path.join(self.tmp, f"{name}.log"), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_watchdog(servers, seconds):
    """Kills the servers and this process if the run is not over in time."""

    def fire():
        print(f"\nsoak: FAIL (hard stop after {seconds:.0f} s)", flush=True)
        servers.kill_now()
        os._exit(1)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


# --------------------------------------------------------------------------
# A minimal HTTP/1.1 client


class ProtocolError(Exception):
    pass


def error_kind(e):
    """How a failed request is counted: `timeout`, `bad_response` or `conn_error`."""
    if isinstance(e, asyncio.TimeoutError):
        return "timeout"
    if isinstance(e, (ProtocolError, ValueError, KeyError, asyncio.LimitOverrunError)):
        return "bad_response"
    return "conn_error"


# What a request may fail with (ValueError: an unreadable number or JSON body).
NET_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ProtocolError,
    ValueError,
    KeyError,
)


async def connect(port, timeout=CONNECT_TIMEOUT_S):
    return await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)


def close(writer):
    if writer is None:
        return
    try:
        writer.close()
    except Exception:
        pass


def build_request(method, path, port, body=b"", content_type=None, keep_alive=True):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


async def read_response(reader, timeout):
    """(status, headers, body, keep_alive) of one response, all within `timeout`."""

    async def read():
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ProtocolError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await read_chunked(reader)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = await reader.read()  # until the server closes
            headers["connection"] = "close"
        keep = headers.get("connection", "").lower() != "close" and parts[0] == "HTTP/1.1"
        return status, headers, body, keep

    return await asyncio.wait_for(read(), timeout)


async def read_chunked(reader):
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def request_once(port, method, path, body=b"", content_type=None, timeout=10.0):
    """One request on a fresh connection: (status, body)."""
    reader, writer = await connect(port)
    try:
        writer.write(build_request(method, path, port, body, content_type, keep_alive=False))
        await asyncio.wait_for(writer.drain(), timeout)
        status, _, data, _ = await read_response(reader, timeout)
        return status, data
    finally:
        close(writer)


class KeepAliveClient:
    """Sends requests on one connection, reopening it when the server closes it.
    Never retries a request: a retried POST /chat could be stored twice."""

    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.reader = self.writer = None

    async def request(self, method, path, body=b"", content_type=None):
        if self.writer is None or self.writer.is_closing() or self.reader.at_eof():
            self.close()
            self.reader, self.writer = await connect(self.port)
        try:
            self.writer.write(build_request(method, path, self.port, body, content_type))
            await asyncio.wait_for(self.writer.drain(), self.timeout)
            status, _, data, keep = await read_response(self.reader, self.timeout)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return status, data

    def close(self):
        close(self.writer)
        self.reader = self.writer = None


# --------------------------------------------------------------------------
# Results


class Results:
    def __init__(self):
        self.counts = {}  # kind -> Counter of status codes and error kinds
        self.conversations = {}  # conversation id -> 200 answers
        self.chat_ms = []
        self.health_ms = []
        self.rss = []  # (seconds since load start, kB)
        self.loop_lag_ms = []  # how late this client's own timers fire
        self.cpu_s = {}  # "client"/"server" -> CPU seconds used during the load
        self.idle_opens = 0
        self.idle_reopens = 0
        self.idle_lifetimes = []
        self.slowloris_cuts = []  # seconds each cut connection lived
        self.load_start = 0.0
        self.load_end = 0.0

    def count(self, kind, outcome):
        self.counts.setdefault(kind, Counter())[outcome] += 1

    def server_errors(self):
        return sum(n for c in self.counts.values() for k, n in c.items() if isinstance(k, int) and k >= 500)

    def failed_requests(self):
        return sum(c["conn_error"] + c["timeout"] + c["bad_response"] for c in self.counts.values())


# --------------------------------------------------------------------------
# The load


def time_left(deadline):
    return deadline - time.monotonic()


async def sleep_until(t):
    delay = t - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def create_conversation(client, res, deadline):
    """A new conversation's id, or None if time ran out first."""
    body = json.dumps({"language": "spanish", "difficulty_level": "A1", "topic_id": "greetings"}).encode()
    while time_left(deadline) > 0:
        try:
            status, data = await client.request("POST", "/conversations", body, "application/json")
            res.count("create", status)
            if status == 200:
                return int(json.loads(data)["id"])
        except NET_ERRORS as e:
            res.count("create", error_kind(e))
        await asyncio.sleep(1.0)
    return None


async def chat_worker(worker, port, res, deadline, timeout):
    client = KeepAliveClient(port, timeout)
    try:
        conv = await create_conversation(client, res, deadline)
        if conv is None:
            return
        res.conversations[conv] = 0
        n = 0
        while time_left(deadline) > 0:
            n += 1
            body = json.dumps({"conversation_id": conv, "user_message": f"mensaje {worker}-{n}"}).encode()
            started = time.monotonic()
            try:
                status, _ = await client.request("POST", "/chat", body, "application/json")
            except NET_ERRORS as e:
                res.count("chat", error_kind(e))
                await asyncio.sleep(0.5)
                continue
            res.count("chat", status)
            if status == 200:
                res.conversations[conv] += 1
                res.chat_ms.append((time.monotonic() - started) * 1000)
            else:
                await asyncio.sleep(0.5)
    finally:
        client.close()


async def idle_holder(index, port, res, deadline):
    """Holds one silent connection open; reopens it whenever the server closes it."""
    await asyncio.sleep(index * 0.005)  # spread the first connects over a few seconds
    first = True
    while time_left(deadline) > 0:
        try:
            reader, writer = await connect(port)
        except NET_ERRORS:
            res.count("idle", "conn_error")
            await asyncio.sleep(0.5)
            continue
        res.idle_opens += 1
        if not first:
            res.idle_reopens += 1
        first = False
        opened = time.monotonic()
        try:
            data = await asyncio.wait_for(reader.read(1024), max(time_left(deadline), 0.01))
            res.count("idle", "closed_by_server" if not data else "answered")
            res.idle_lifetimes.append(time.monotonic() - opened)
        except asyncio.TimeoutError:
            pass  # the deadline came first
        except OSError:
            res.count("idle", "reset_by_server")
            res.idle_lifetimes.append(time.monotonic() - opened)
        finally:
            close(writer)


async def slowloris_connection(port, deadline):
    """One connection that never finishes its headers: seconds it lived, or
    None if the deadline came first."""
    reader, writer = await connect(port)
    opened = time.monotonic()
    try:
        writer.write(f"GET /health HTTP/1.1\r\nHost: {HOST}\r\n".encode())
        n = 0
        while time_left(deadline) > 0:
            try:
                data = await asyncio.wait_for(reader.read(1024), min(2.0, max(time_left(deadline), 0.01)))
            except asyncio.TimeoutError:
                n += 1
                writer.write(f"X-Slow-{n}: {n}\r\n".encode())
                await asyncio.wait_for(writer.drain(), 5)
                continue
            if not data or reader.at_eof():
                return time.monotonic() - opened
            # A 408 or other answer: wait for the close that follows.
        return None
    except asyncio.TimeoutError:
        raise  # (an OSError too on Python >= 3.11) a stuck write, not a cut
    except OSError:
        return time.monotonic() - opened
    finally:
        close(writer)


async def slowloris(port, res, deadline):
    while time_left(deadline) > 0:
        try:
            lived = await slowloris_connection(port, deadline)
        except NET_ERRORS:
            res.count("slowloris", "conn_error")
            await asyncio.sleep(0.5)
            continue
        if lived is not None:
            res.count("slowloris", "cut")
            res.slowloris_cuts.append(lived)


def bomb_wav():
    """A 2 kB PCM WAV whose header claims 4,294,967,291 Hz."""
    rate, channels, bits, size = 4_294_967_291, 1, 16, 2000
    block = channels * bits // 8
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + size, b"WAVE",
        b"fmt ", 16, 1, channels, rate, (rate * block) & 0xFFFFFFFF, block, bits,
        b"data", size,
    )
    return header + os.urandom(size)


def multipart(field, filename, content_type, data):
    boundary = "soak" + os.urandom(12).hex()
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def upload_bombs(port, res, deadline):
    tick = time.monotonic()
    while time_left(deadline) > 0:
        body, ctype = multipart("audio", "bomb.wav", "audio/wav", bomb_wav())
        try:
            status, _ = await request_once(port, "POST", "/stt/transcribe?language=es", body, ctype, UPLOAD_TIMEOUT_S)
            res.count("upload", status)
        except NET_ERRORS as e:
            res.count("upload", error_kind(e))
        tick = max(tick + 1.0, time.monotonic())
        await sleep_until(min(tick, deadline))


async def health_prober(port, res, deadline):
    """GET /health every 100 ms; a failed probe's time counts in the latencies too."""
    tick = time.monotonic()
    while time_left(deadline) > 0:
        started = time.monotonic()
        try:
            status, _ = await request_once(port, "GET", "/health", timeout=HEALTH_TIMEOUT_S)
            res.count("health", status)
        except NET_ERRORS as e:
            res.count("health", error_kind(e))
        res.health_ms.append((time.monotonic() - started) * 1000)
        tick = max(tick + 0.1, time.monotonic())
        await sleep_until(min(tick, deadline))


def read_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


async def rss_sampler(pid, res, deadline):
    while True:
        kb = read_rss_kb(pid)
        if kb is not None:
            res.rss.append((time.monotonic() - res.load_start, kb))
        if time_left(deadline) <= 0:
            return
        await asyncio.sleep(min(5.0, max(time_left(deadline), 0)))


async def loop_lag(res, deadline):
    """How late a 100 ms timer fires: when this client is short of CPU, its
    /health latencies include its own delay, not only the server's."""
    while time_left(deadline) > 0.1:
        started = time.monotonic()
        await asyncio.sleep(0.1)
        res.loop_lag_ms.append(max((time.monotonic() - started - 0.1) * 1000, 0))


def cpu_seconds(pid=None):
    """CPU time (user + system) of this process, or of `pid` from /proc."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


async def wait_healthy(servers, timeout):
    """Polls GET /health until it answers 200; RuntimeError if it never does."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if servers.app_exited():
            raise RuntimeError(f"the server exited with status {servers.app.returncode} while starting")
        try:
            status, _ = await request_once(servers.app_port, "GET", "/health", timeout=5)
            if status == 200:
                return
        except NET_ERRORS:
            pass
        await asyncio.sleep(0.25)
    raise RuntimeError(f"the server did not answer GET /health with 200 within {timeout:.0f} s")


async def run_load(args, servers, res, hard_stop_at):
    await wait_healthy(servers, SERVER_START_TIMEOUT_S)
    port = servers.app_port
    print(f"servers up (app :{port}, stand-in Ollama :{servers.llm_port}); load for {args.duration:.0f} s")
    res.load_start = time.monotonic()
    deadline = res.load_start + args.duration
    cpu_before = {"client": cpu_seconds(), "server": cpu_seconds(servers.app.pid)}
    tasks = [asyncio.create_task(chat_worker(w, port, res, deadline, args.request_timeout)) for w in range(args.chats)]
    tasks += [asyncio.create_task(idle_holder(i, port, res, deadline)) for i in range(args.idle)]
    tasks += [
        asyncio.create_task(slowloris(port, res, deadline)),
        asyncio.create_task(upload_bombs(port, res, deadline)),
        asyncio.create_task(health_prober(port, res, deadline)),
        asyncio.create_task(rss_sampler(servers.app.pid, res, deadline)),
        asyncio.create_task(progress(res, deadline)),
        asyncio.create_task(loop_lag(res, deadline)),
    ]
    # Every loop ends at the deadline; requests in flight get their timeout,
    # as far as the hard stop leaves room to stop the servers and report.
    grace = max(args.request_timeout, UPLOAD_TIMEOUT_S, HEALTH_TIMEOUT_S) + 10
    latest = hard_stop_at - SERVER_STOP_TIMEOUT_S - 15
    done, pending = await asyncio.wait(tasks, timeout=max(min(deadline + grace, latest) - time.monotonic(), 1))
    if pending:
        print(f"warning: {len(pending)} load tasks still busy after the deadline; cancelled")
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for t in done:
        if not t.cancelled() and t.exception() is not None:
            print(f"warning: a load task failed: {t.exception()!r}")
    res.load_end = time.monotonic()
    cpu_after = {"client": cpu_seconds(), "server": cpu_seconds(servers.app.pid)}
    for who, before in cpu_before.items():
        if before is not None and cpu_after[who] is not None:
            res.cpu_s[who] = cpu_after[who] - before
    kb = read_rss_kb(servers.app.pid)
    if kb is not None:
        res.rss.append((res.load_end - res.load_start, kb))


async def progress(res, deadline):
    """A line every 30 s, so a long run shows it is alive."""
    while time_left(deadline) > 30:
        await asyncio.sleep(30)
        chats = res.counts.get("chat", Counter())
        rss = res.rss[-1][1] / 1024 if res.rss else 0
        print(
            f"  t={time.monotonic() - res.load_start:5.0f}s chats={sum(chats.values())} "
            f"5xx={res.server_errors()} idle_reopens={res.idle_reopens} rss={rss:.0f}MB",
            flush=True,
        )


# --------------------------------------------------------------------------
# Report and verdict


def percentile(values, p):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def fmt_ms(v):
    return "n/a" if v is None else f"{v:.1f}"


def rss_at(samples, t):
    """The sample nearest to `t` seconds into the load (kB, actual t)."""
    if not samples:
        return None, None
    at, kb = min(samples, key=lambda s: abs(s[0] - t))
    return kb, at


def verify_storage(db_path, conversations):
    """Conversations whose stored messages differ from the 200s their worker
    got: a list of (id, users, assistants, distinct user texts, expected)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute(
            "SELECT conversation_id, "
            "SUM(role = 'user'), SUM(role = 'assistant'), "
            "COUNT(DISTINCT CASE WHEN role = 'user' THEN content END) "
            "FROM messages GROUP BY conversation_id"
        ).fetchall()
    finally:
        conn.close()
    stored = {r[0]: (r[1] or 0, r[2] or 0, r[3] or 0) for r in rows}
    bad = []
    for conv, ok in sorted(conversations.items()):
        users, assistants, distinct = stored.get(conv, (0, 0, 0))
        if not (users == assistants == distinct == ok):
            bad.append((conv, users, assistants, distinct, ok))
    return bad


def print_counts(res):
    print("requests (status or outcome: count):")
    for kind in ("create", "chat", "upload", "health", "idle", "slowloris"):
        c = res.counts.get(kind)
        if c:
            items = ", ".join(f"{k}: {n}" for k, n in sorted(c.items(), key=lambda kv: str(kv[0])))
            print(f"  {kind:<10} {items}")


def report(args, res, mismatches, storage_error, server_died):
    elapsed = max(res.load_end - res.load_start, 1e-9)
    print("\n=== soak report ===")
    print(
        f"load: {args.duration:.0f} s (+{max(elapsed - args.duration, 0):.0f} s to finish requests in flight), "
        f"{args.chats} chat workers, {args.idle} idle connections"
    )
    print_counts(res)
    errors_5xx = res.server_errors()
    print(f"5xx total: {errors_5xx}")
    print(f"connection errors + timeouts (all kinds): {res.failed_requests()}")

    h = res.health_ms
    p99 = percentile(h, 99)
    print(
        f"/health ms ({len(h)} probes): p50 {fmt_ms(percentile(h, 50))}  p95 {fmt_ms(percentile(h, 95))}  "
        f"p99 {fmt_ms(p99)}  max {fmt_ms(max(h) if h else None)}"
    )

    lag = res.loop_lag_ms
    if lag:
        print(
            f"client event-loop lag ms: p50 {fmt_ms(percentile(lag, 50))}  p99 {fmt_ms(percentile(lag, 99))}  "
            f"max {fmt_ms(max(lag))} (if high, /health numbers include this client's own delay)"
        )
    if res.cpu_s:
        used = ", ".join(f"{who} {s / elapsed * 100:.0f}%" for who, s in sorted(res.cpu_s.items()))
        print(f"CPU during the load (100% = one core of {os.cpu_count()}): {used}")

    base_kb, base_t = rss_at(res.rss, min(RSS_BASELINE_S, args.duration / 2))
    end_kb = res.rss[-1][1] if res.rss else None
    max_kb = max(kb for _, kb in res.rss) if res.rss else None
    if base_kb is not None:
        print(
            f"RSS MB: at {base_t:.0f} s {base_kb / 1024:.1f}  at end {end_kb / 1024:.1f}  "
            f"max {max_kb / 1024:.1f}  ({len(res.rss)} samples)"
        )
    else:
        print("RSS: no samples")

    lives = res.idle_lifetimes
    print(
        f"idle connections: {res.idle_opens} opens, {res.idle_reopens} reopens"
        + (f", median lifetime {statistics.median(lives):.1f} s" if lives else "")
    )
    cuts = res.slowloris_cuts
    print(
        f"slowloris: {len(cuts)} cuts"
        + (f", median lifetime {statistics.median(cuts):.1f} s (max {max(cuts):.1f} s)" if cuts else "")
    )
    ok_chats = sum(res.conversations.values())
    print(
        f"chat: {ok_chats} answered in {len(res.conversations)} conversations, {ok_chats / min(elapsed, args.duration):.1f} chats/s, "
        f"latency ms p50 {fmt_ms(percentile(res.chat_ms, 50))}  p99 {fmt_ms(percentile(res.chat_ms, 99))}"
    )
    if storage_error:
        print(f"storage: could not check ({storage_error})")
    else:
        print(f"storage mismatches: {len(mismatches)} of {len(res.conversations)} conversations")
        for conv, users, assistants, distinct, ok in mismatches[:10]:
            print(f"  conversation {conv}: {users} user / {assistants} assistant / {distinct} distinct, {ok} answered 200")

    reasons = []
    if server_died:
        reasons.append("the server exited during the run")
    if errors_5xx:
        reasons.append(f"{errors_5xx} 5xx")
    if storage_error:
        reasons.append("storage not checked")
    elif mismatches:
        reasons.append(f"{len(mismatches)} storage mismatches")
    if p99 is None:
        reasons.append("no /health probes")
    elif p99 >= HEALTH_P99_LIMIT_MS:
        reasons.append(f"/health p99 {p99:.1f} ms >= {HEALTH_P99_LIMIT_MS:.0f} ms")
    if base_kb is None:
        reasons.append("no RSS samples")
    elif end_kb > RSS_GROWTH_LIMIT * base_kb:
        reasons.append(f"RSS grew {end_kb / base_kb:.2f}x (> {RSS_GROWTH_LIMIT}x)")
    upload = res.counts.get("upload", Counter())
    if sum(upload.values()) != upload[422]:
        print(f"note: {sum(upload.values()) - upload[422]} upload bombs were not answered 422")
    if res.failed_requests():
        print("note: connection errors or timeouts happened (see the counts above)")
    return reasons


# --------------------------------------------------------------------------


def interrupted(signum, frame):
    """SIGTERM ends the run like Ctrl-C: servers stopped, FAIL printed."""
    raise KeyboardInterrupt


def main():
    args = parse_args()
    raise_fd_limit(1200)
    binary = os.path.abspath(args.bin) if args.bin else default_binary()
    if not os.access(binary, os.X_OK):
        print(f"soak: FAIL (no server binary at {binary}; run scripts/build.sh release or scripts/build.sh)")
        return 1
    if not os.path.exists(args.whisper_model):
        print(f"warning: Whisper model {args.whisper_model} does not exist (uploads may not get 422)")
    print(f"binary: {binary}")

    tmp = tempfile.mkdtemp(prefix="babblr-soak-")
    servers = Servers(binary, tmp, args.whisper_model)
    hard_stop_at = time.monotonic() + args.duration + HARD_STOP_MARGIN_S
    watchdog = start_watchdog(servers, args.duration + HARD_STOP_MARGIN_S)
    signal.signal(signal.SIGTERM, interrupted)
    res = Results()
    reasons = []
    try:
        servers.start()
        try:
            asyncio.run(run_load(args, servers, res, hard_stop_at))
        except RuntimeError as e:
            print(f"soak: FAIL ({e})")
            print("--- app log ---\n" + servers.log_tail("app") + "\n--- stand-in log ---\n" + servers.log_tail("standin"))
            return 1
        server_died = servers.app_exited()
        if server_died:
            print("--- app log ---\n" + servers.log_tail("app"))
        servers.stop()
        mismatches, storage_error = [], None
        try:
            mismatches = verify_storage(servers.db_path, res.conversations)
        except sqlite3.Error as e:
            storage_error = str(e)
        reasons = report(args, res, mismatches, storage_error, server_died)
    except KeyboardInterrupt:
        print("\nsoak: FAIL (interrupted)")
        return 1
    finally:
        servers.stop()
        watchdog.cancel()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if reasons:
        print(f"soak: FAIL ({'; '.join(reasons)})")
        return 1
    print("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
