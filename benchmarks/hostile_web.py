"""The bot creator (`hf-tweetbot web`) against hostile visitors, driven by gradio_client over
loopback: sources naming the server's own network, its file routes asked for what they must not
serve, and a flood of requests from one address. Each row says what the visitor saw.

Used by `make hostile` (benchmarks/hostile.py). It runs the creator in this process (its
training line is held by another visitor's training while the flood comes) beside the project's
test Hub and API stand-ins (testkit/fakes/), and every connection it makes or provokes is to loopback:
listeners that record each connection show that a refused address was never reached.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TOKEN = "hf_HostileWebVisitor0123456789ab"
ROUTES = ("/gradio_api/file=", "/file=", "/gradio_api/file/", "/file/")


@contextmanager
def _creator(base: str, work: Path, **cfg: Any) -> Iterator[tuple[str, Any, Any]]:
    """The creator on a free loopback port: (url, its config, its visitors' state)."""
    from publisher.web import WebConfig, build_app, launch_options
    from publisher.web.visitors import Visitors

    from .hostile_space import free_port

    config = WebConfig(base_models=(base,), workdir=work, on_space=False, **cfg)
    visitors = Visitors()
    demo = build_app(config, visitors)
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(),
                quiet=True, **launch_options(config))  # fmt: skip
    try:
        yield demo.local_url.rstrip("/"), config, visitors
    finally:
        demo.close()


def _create(url: str, source: str, base: str, archive: Path | None = None, **client: Any) -> Any:
    from gradio_client import Client, handle_file

    upload = handle_file(str(archive)) if archive else None
    return Client(url, verbose=False, **client).submit(upload, source, base, 2, "", api_name="/create")  # fmt: skip


def _refusal(job: Any) -> str:
    """The error line the visitor got, or what it said last."""
    try:
        job.result(timeout=300)
    except Exception as e:  # gradio_client's AppError: the CLI's Error:/Hint: lines
        return str(e).splitlines()[0]
    return f"(accepted) {job.outputs()[-1] if job.outputs() else ''}"


def ssrf_rows(base: str, work: Path, add: Any) -> None:
    """Typed sources on the server's own addresses, then redirects and next pages that go there."""
    from testkit.fakes.api_server import Listener, Reply, Timeline, serve, serve_mastodon

    forms = [
        ("dotted", "mastodon:http://127.0.0.1:{p}/@x"),
        ("decimal", "mastodon:http://2130706433:{p}/@x"),
        ("hex, short", "mastodon:http://0x7f.1:{p}/@x"),
        ("octal", "mastodon:http://017700000001:{p}/@x"),
        ("short", "mastodon:@x@127.1:{p}"),
        ("a name", "mastodon:http://localhost:{p}/@x"),
        ("unspecified", "mastodon:http://0.0.0.0:{p}/@x"),
    ]
    with _creator(base, work / "public") as (url, _, _), Listener() as listener:
        for what, form in forms:
            start = time.monotonic()
            seen = _refusal(_create(url, form.format(p=listener.port), base))
            add(f"/create with a source on a loopback address ({what}): {form.format(p='PORT')}",
                f"{seen}; the listener there: {len(listener.connections)} connections",
                seen.startswith("Error: refused to reach") and not listener.connections,
                {"seconds": time.monotonic() - start})  # fmt: skip
    # An instance on the operator's LAN (allowed) that answers with addresses inside.
    with _creator(base, work / "lan", allow_networks=("127.0.0.1/32",)) as (url, _, _), serve() as api, \
            Listener("::1") as inside, Listener() as other:  # fmt: skip
        tl = Timeline(seed=1)
        tl.post(60)
        serve_mastodon(api, "wren", tl)
        meta = f"http://[::1]:{inside.port}/latest/meta-data/"
        api.add("/api/v1/accounts/lookup", Reply(status=302, headers={"Location": meta}))
        start = time.monotonic()
        seen = _refusal(_create(url, f"mastodon:{api.url}/@wren", base))
        add("a Mastodon lookup answered with a redirect to [::1]/latest/meta-data/ (the instance "
            "itself allowed with --allow-network 127.0.0.1/32)",
            f"{seen}; the listener there: {len(inside.connections)} connections",
            "refused to reach ::1" in seen and not inside.connections,
            {"seconds": time.monotonic() - start})  # fmt: skip
        serve_mastodon(api, "wren", tl)
        link = f'<http://localhost:{other.port}/api/v1/accounts/7/statuses?max_id=1>; rel="next"'
        api.add("/api/v1/accounts/7/statuses", Reply([{"id": "5", "content": "<p>hi</p>"}],
                                                     headers={"Link": link}))  # fmt: skip
        start = time.monotonic()
        seen = _refusal(_create(url, f"mastodon:{api.url}/@wren", base))
        add("a Mastodon page whose Link: next names another host",
            f"{seen.replace(str(other.port), 'PORT').replace(api.url.split('//')[1], 'HOST')}; "
            f"that host: {len(other.connections)} connections",
            "another host" in seen and not other.connections,
            {"seconds": time.monotonic() - start})  # fmt: skip


def file_rows(base: str, work: Path, add: Any) -> None:
    """Files asked for by path and by guessed name: a session's, another visitor's upload, the
    bot folders, the server's own; a URL for gradio to fetch; too many uploads."""
    import httpx

    from publisher.web.visitors import Visitor
    from testkit.fakes.api_server import Listener

    from .common import SAMPLE

    with _creator(base, work / "files", uploads_per_hour=30) as (url, cfg, visitors):
        holder = visitors.join(Visitor("192.0.2.1", "another visitor"), cfg)
        job = _create(url, "", base, SAMPLE)
        deadline = time.monotonic() + 300
        while not [f for f in (work / "files").iterdir() if (f / "bot" / "bot.json").is_file()]:
            if job.done() or time.monotonic() > deadline:
                raise RuntimeError(f"the session never read its posts: {job.outputs()}")
            time.sleep(0.1)
        [session] = list((work / "files").iterdir())
        pending = work / "their_archive.zip"
        pending.write_bytes(SAMPLE.read_bytes())
        with pending.open("rb") as f:
            theirs = httpx.post(f"{url}/gradio_api/upload", files={"files": (pending.name, f)}).json()[0]  # fmt: skip
        asked = {
            "another visitor's upload waiting to be read, by its path": [theirs],
            "a session's folder and its bot.json, posts.jsonl, by path": [
                session, session / "bot" / "bot.json", session / "bot" / "data" / "posts.jsonl"],
            "the server's files: /etc/passwd, ./publisher/web/app.py, ~/.cache/huggingface/token": [
                "/etc/passwd", "publisher/web/app.py", Path.home() / ".cache/huggingface/token"],
            "guessed names: bots/NAME/bot.json, bot/bot.json, repo/README.md, /data/token": [
                "bots/wrencalloway/bot.json", "bot/bot.json", "repo/README.md", "/data/token"],
        }  # fmt: skip
        for what, targets in asked.items():
            start = time.monotonic()
            codes = {httpx.get(f"{url}{r}{t}").status_code for t in targets for r in ROUTES}
            add(f"file routes (/file=, /gradio_api/file=, /file/, /gradio_api/file/): {what}",
                f"HTTP {', '.join(map(str, sorted(codes)))} on every route",
                codes <= {403, 404}, {"seconds": time.monotonic() - start})  # fmt: skip
        with Listener() as listener:
            start = time.monotonic()
            codes = {httpx.get(f"{url}{r}http://127.0.0.1:{listener.port}/").status_code for r in ROUTES}  # fmt: skip
            add("file routes asked to fetch a URL (/file=http://127.0.0.1:PORT/)",
                f"HTTP {', '.join(map(str, sorted(codes)))}; the listener: "
                f"{len(listener.connections)} connections",
                codes == {404} and not listener.connections, {"seconds": time.monotonic() - start})  # fmt: skip
        _release(visitors, holder, [job])
    with _creator(base, work / "uploads") as (url, cfg, _):
        start = time.monotonic()
        answers = [httpx.post(f"{url}/gradio_api/upload", files={"files": ("p.jsonl", b"{}")})
                   for _ in range(cfg.uploads_per_hour + 1)]  # fmt: skip
        last = answers[-1]
        add(f"{len(answers)} uploads in a row from one address",
            f"{sum(a.status_code == 200 for a in answers)} taken, then HTTP {last.status_code}: "
            f"{last.json().get('detail', '').splitlines()[0]}",
            last.status_code == 429, {"seconds": time.monotonic() - start})  # fmt: skip


def _release(visitors: Any, holder: Any, jobs: list[Any]) -> None:
    """Cancel the jobs still in line, then end the held training: nothing trains after a row."""
    for job in jobs:
        job.cancel()
    deadline = time.monotonic() + 60
    while visitors.line.waiting() and time.monotonic() < deadline:
        time.sleep(0.1)
    visitors.line.leave(holder)


def flood_rows(base: str, work: Path, add: Any, n: int = 20) -> None:
    """`n` /create at once from one address while another visitor trains, then one from another."""
    from publisher.web.visitors import Visitor

    with _creator(base, work / "flood", trust_forwarded=True) as (url, cfg, visitors):
        holder = visitors.join(Visitor("192.0.2.1", "another visitor"), cfg)
        start = time.monotonic()
        flood = [_create(url, "", base, _posts(work / f"f{i}.jsonl", i),
                         headers={"X-Forwarded-For": "1.2.3.4"}) for i in range(n)]  # fmt: skip
        while sum(j.done() for j in flood) < n - cfg.line_per_address:
            if time.monotonic() - start > 600:
                raise RuntimeError("the flood was not answered in time")
            time.sleep(0.05)
        refused_in = time.monotonic() - start
        refusals = {str(j.exception()).splitlines()[0] for j in flood if j.done()}
        placed = [j for j in flood if not j.done()]
        other = _create(url, "", base, _posts(work / "o.jsonl", n),
                        headers={"X-Forwarded-For": "5.6.7.8"})  # fmt: skip
        waits = [_said(j, "Waiting for your turn") for j in (other, placed[-1])]
        add(f"{n} /create at once from one address while another visitor trains, then one "
            "from another address",
            f"{n - len(placed)} refused within {refused_in:.1f} s ({'; '.join(sorted(refusals))}); "
            f"the other address: '{waits[0]}', the flood's second: '{waits[1]}'",
            len(placed) == cfg.line_per_address and "2 trainings before yours" in waits[0]
            and "3 trainings before yours" in waits[1],
            {"seconds": time.monotonic() - start})  # fmt: skip
        _release(visitors, holder, [*placed, other])
        start = time.monotonic()
        typed = "bsky:a.bsky.social " * 10
        seen = _refusal(_create(url, typed, base, headers={"X-Forwarded-For": "9.9.9.9"}))
        add("10 accounts typed in one request", seen, "at most 3 accounts" in seen,
            {"seconds": time.monotonic() - start})  # fmt: skip


def reading_rows(base: str, work: Path, add: Any) -> None:
    """A normal upload read alone, then beside two hostile uploads reading from two other
    addresses, in the same creator; then how soon a closed page's reading's process is gone."""
    from publisher.web import readings
    from publisher.web.visitors import Visitor

    from .common import SAMPLE

    with _creator(base, work / "readings", trust_forwarded=True) as (url, cfg, visitors):
        holder = visitors.join(Visitor("192.0.2.1", "another visitor"), cfg)  # nothing trains
        _read_normal(url, base, work, SAMPLE, "9.9.9.0")  # one reading first, as a warm-up
        alone = _read_normal(url, base, work, SAMPLE, "9.9.9.1")
        hostile = [_create(url, "", base, _nested_tags(work / f"nested-{i}.zip", i),
                           headers={"X-Forwarded-For": f"1.2.3.{i}"}) for i in (1, 2)]  # fmt: skip
        # Both in flight long enough to have reached the lowest priority (or ended).
        start, last = time.monotonic(), readings.NICENESS[-1][0]
        while (
            time.monotonic() - start < 300
            and not all(j.done() for j in hostile)
            and (
                len(_readers()) < 2 or min(readings.cpu_seconds(p) or 0 for p in _readers()) < last
            )
        ):
            time.sleep(0.1)
        reading = visitors.gate.counts()[1]
        beside = _read_normal(url, base, work, SAMPLE, "9.9.9.2")
        still = sum(not j.done() for j in hostile)
        add("a visitor's normal upload (the sample X archive) read alone",
            f"read in {alone[0]:.1f} s from the upload: {alone[0] - alone[1]:.1f} s waiting and "
            f"starting, {alone[1]:.1f} s reading", True, {"seconds": alone[0]})  # fmt: skip
        total, read = beside
        add("the same upload while two hostile uploads from two other addresses are reading "
            "(Mastodon archives of 17 kB whose statuses nest 40,000 tags), same run",
            f"read in {total:.1f} s from the upload: {total - read:.1f} s waiting and starting, "
            f"{read:.1f} s reading; {reading} hostile readings in flight when it came, {still} "
            "still reading when it was done",
            total < max(10, 1.5 * alone[0]), {"seconds": total})  # fmt: skip
        stopped = _close_while_reading(cfg, visitors, work)
        add("a visitor closes the page while its hostile upload is being read",
            f"the reading's process gone {stopped:.2f} s after the page closed",
            stopped < 2, {"seconds": stopped})  # fmt: skip
        _release(visitors, holder, [*hostile])


def _readers() -> set[int]:
    """The process ids of the readings running now (children of this process's creator)."""
    import multiprocessing

    return {p.pid for p in multiprocessing.active_children() if p.name == "hf-tweetbot-reading" and p.pid}  # fmt: skip


def _close_while_reading(cfg: Any, visitors: Any, work: Path) -> float:
    """Seconds from a page's closing (what its unload does) to its reading's process gone."""
    import threading

    from publisher.web import handlers
    from publisher.web.session import close_workspace
    from publisher.web.visitors import Visitor

    who = Visitor("1.2.3.3", "a page")
    upload = _many_posts(work / "many.jsonl", 300_000)  # seconds of reading, however fast
    before = _readers()
    page = threading.Thread(target=handlers.read, args=(cfg, visitors, [str(upload)], "", cfg.base_models[0], who))  # fmt: skip
    page.start()
    while not _readers() - before:
        time.sleep(0.02)
    time.sleep(1.0)  # into the reading
    [child] = _readers() - before
    start = time.monotonic()
    close_workspace(who.session)
    while _alive(child) and time.monotonic() - start < 60:
        time.sleep(0.01)
    stopped = time.monotonic() - start
    page.join(60)
    return stopped


def _many_posts(path: Path, n: int) -> Path:
    """A posts file of `n` posts: a reading of several seconds of CPU."""
    import json

    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"text": f"The lamp at the point was lit at dusk, post {i}"}) + "\n")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _read_normal(url: str, base: str, work: Path, archive: Path, address: str) -> tuple[float, float]:  # fmt: skip
    """Upload `archive` to /create; (seconds until its posts are read, seconds prepare took)."""
    import re

    copy = work / f"{address}-{archive.name}"
    copy.write_bytes(archive.read_bytes())
    start = time.monotonic()
    job = _create(url, "", base, copy, headers={"X-Forwarded-For": address})
    line = _said(job, "Prepared ")
    total = time.monotonic() - start
    job.cancel()
    took = re.search(r"in ([0-9.]+) s$", line)
    return total, float(took.group(1)) if took else total


def _nested_tags(path: Path, seed: int, statuses: int = 5) -> Path:
    """A Mastodon archive whose statuses each open 40,000 `<b>` and close 40,000 `</i>`."""
    from testkit.mastodon import Status, mastodon_files, status_html, write_mastodon_zip
    from testkit.posts import posts

    items = [Status(status_html(f"{t} ({seed})")) for t in posts(60)]
    items += [Status("<b>" * 40_000 + "</i>" * 40_000)] * statuses
    return write_mastodon_zip(path, mastodon_files("wren", "Wren", items))


def _posts(path: Path, seed: int, n: int = 300) -> Path:
    """A .jsonl of `n` varied posts (each visitor's own file: gradio keeps one copy per content)."""
    import json
    import random

    rng = random.Random(seed)
    words = "lighthouse stars bread radio gulls wind night lamp tide fog kettle comet".split()  # noqa: SIM905
    rows = (" ".join(rng.choice(words) for _ in range(rng.randint(6, 18))) for _ in range(n))
    path.write_text("".join(json.dumps({"text": r.capitalize() + "."}) + "\n" for r in rows))
    return path


@contextmanager
def _test_hub() -> Iterator[None]:
    """The project's test Hub on loopback, knowing `TOKEN`, as this process's Hub and token."""
    from huggingface_hub import constants

    from testkit.fakes.hub_server import HubServer, Token

    from .hostile_space import free_port

    hub = HubServer(free_port()).start()
    hub.state.tokens[TOKEN] = Token("visitor")
    saved = constants.ENDPOINT, os.environ.get("HF_TOKEN")
    constants.ENDPOINT, os.environ["HF_TOKEN"] = hub.endpoint, TOKEN
    try:
        yield
    finally:
        constants.ENDPOINT = saved[0]
        if saved[1] is None:
            os.environ.pop("HF_TOKEN", None)
        else:
            os.environ["HF_TOKEN"] = saved[1]
        hub.stop()


def _said(job: Any, text: str, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [x for x in job.outputs() if text in x]
        if lines:
            return lines[-1]
        if job.done():
            return _refusal(job)
        time.sleep(0.05)
    return "(nothing said)"


def run(a: Any, say: Any) -> list[dict[str, Any]]:
    """Every row for the creator on `a.base_model`."""
    from publisher import console
    from publisher.base_models import resolve

    from .hostile_run import row

    console.setup()  # the libraries' bars and warnings, silenced as the CLI does
    base = resolve(a.base_model)
    rows: list[dict[str, Any]] = []

    def add(what: str, seen: str, ok: bool, res: dict[str, Any]) -> None:
        rows.append(row(what, "web", seen, ok, res))
        say(rows[-1])

    with tempfile.TemporaryDirectory(prefix="hf-tweetbot-hostile-web-") as tmp, _test_hub():
        work = Path(tmp)
        ssrf_rows(base, work, add)
        file_rows(base, work, add)
        flood_rows(base, work, add)
        reading_rows(base, work, add)
    return rows
