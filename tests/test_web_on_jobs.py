"""The creator's "Train on Hugging Face Jobs (your account)" over HTTP: `/create` with a flavor,
driven by gradio_client, the job run by the test Hub's Jobs in the visitor's namespace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CHROMIUM, HUB_ENDPOINT
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from web_helpers import SAMPLE, SECRET, assert_no_secret, launch, reset_hub

from publisher.web import WebConfig

BOB = "hf_BobJobsVisitorToken0123456789ab"
pytestmark = pytest.mark.filterwarnings("ignore:Gradio does not support OAuth")


@pytest.fixture(scope="module")
def space_api(tiny_model, tmp_path_factory, hub_server):
    """The creator as it runs on a Space (people sign in)."""
    work = tmp_path_factory.mktemp("web-jobs")
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=work, on_space=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", SECRET)
        reset_hub(hub_server)
        demo, url = launch(cfg)
    yield url, work, str(tiny_model)
    demo.close()


@pytest.mark.slow  # the creator following a job
def test_create_on_jobs_trains_in_the_visitors_account(space_api, hub_server, monkeypatch, capfd):
    url, work, base = space_api
    monkeypatch.setenv("HF_TOKEN", SECRET)  # the Space owner's: never used for a visitor
    state = reset_hub(hub_server, **{BOB: "bob"})
    client = Client(url, verbose=False, oauth_token=BOB)
    job = client.submit(handle_file(SAMPLE), "", base, 2, "wren-jobs", "cpu-basic", api_name="/create")  # fmt: skip
    assert job.result(timeout=600) == f"{HUB_ENDPOINT}/bob/wren-jobs"
    lines = job.outputs()
    assert any(line.startswith("Flavor cpu-basic: $0.01/hour") for line in lines)
    assert any(line.startswith("Job started: ") for line in lines)
    assert any(line.startswith("Training: 2/2 steps") for line in lines)  # the job's log, relayed

    (hf_job,) = state.jobs.jobs.values()
    assert hf_job.owner == "bob" and hf_job.stage == "COMPLETED"
    assert hf_job.spec["secrets"]["HF_TOKEN"] == BOB
    assert "model.safetensors" in state.files("model", "bob/wren-jobs")
    assert state.repo("dataset", "bob/wren-jobs").private
    assert not any(repo_id.startswith("alice/") for _, repo_id in state.repos)
    # The visitor's token: the job's secret, nowhere else.
    for entry in state.log:
        if entry.path == "/api/jobs/bob" and entry.method == "POST":
            spec = json.loads(entry.body)
            assert BOB not in json.dumps({k: v for k, v in spec.items() if k != "secrets"})
        else:
            assert BOB.encode() not in entry.body
    assert BOB not in state.jobs.log_text(hf_job)
    assert_no_secret(work, *lines, *capfd.readouterr(), secret=BOB)


def test_create_refuses_a_flavor_not_offered(space_api, hub_server):
    url, _, base = space_api
    state = reset_hub(hub_server, **{BOB: "bob"})
    client = Client(url, verbose=False, oauth_token=BOB)
    with pytest.raises(AppError, match="Jobs flavor 'h200' is not offered here"):
        client.predict(handle_file(SAMPLE), "", base, 2, "", "h200", api_name="/create")
    assert not state.jobs.jobs


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: run `make chromium`")
def test_a_person_trains_on_jobs_in_the_browser(tiny_model, tmp_path_factory, hub_server, browser, monkeypatch):  # fmt: skip
    work = tmp_path_factory.mktemp("web-jobs-browser")
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=work, on_space=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", SECRET)  # this machine is logged in: the mocked sign-in is alice
        demo, url = launch(cfg)
    try:
        monkeypatch.setenv("HF_TOKEN", SECRET)
        state = reset_hub(hub_server)
        page = browser.new_context(viewport={"width": 1100, "height": 1000}).new_page()
        page.set_default_timeout(300_000)
        page.goto(url)
        page.set_input_files("#tw-files input[type=file]", str(SAMPLE))
        page.wait_for_function(
            "n => document.querySelector('#tw-files').innerText.replace(/\\s/g, '').includes(n)",
            arg=SAMPLE.name,
        )
        page.click("#tw-read")
        page.wait_for_function(
            "document.querySelector('#tw-counts').innerText.includes('@wrencalloway')"
        )
        page.get_by_label("cpu-upgrade: $0.03/hour").check()
        page.wait_for_function(
            "document.querySelector('#tw-jobs-cost').innerText.includes('cpu-upgrade: about')"
        )
        assert "billed to your account" in page.locator("#tw-jobs-cost").inner_text()
        page.get_by_label("cpu-basic: $0.01/hour").check()
        page.locator("#tw-name").locator("input, textarea").fill("wren-jobs-page")
        page.click("#tw-train-jobs")
        job_link = page.locator("#tw-jobs-links a.tw-link-job")
        try:
            job_link.wait_for()  # shown while the job runs, and after
        except PlaywrightTimeout:
            said = [page.locator(f"#tw-jobs-{part}").inner_text() for part in ("error", "status")]
            raise AssertionError(f"no job started; the page says {said}") from None
        link = page.locator("#tw-jobs-links a.tw-link-model")
        link.wait_for()
        assert page.locator("#tw-jobs-error").inner_text() == ""
        assert link.get_attribute("href") == f"{HUB_ENDPOINT}/alice/wren-jobs-page"
        assert page.locator("#tw-jobs-links a.tw-link-space").count() == 1
        (hf_job,) = state.jobs.jobs.values()
        assert hf_job.owner == "alice" and hf_job.stage == "COMPLETED"
        assert job_link.get_attribute("href") == f"{HUB_ENDPOINT}/jobs/alice/{hf_job.id}"
        assert hf_job.spec["flavor"] == "cpu-basic"
        assert "model.safetensors" in state.files("model", "alice/wren-jobs-page")
        assert SECRET not in page.content()
        page.context.close()
    finally:
        demo.close()
