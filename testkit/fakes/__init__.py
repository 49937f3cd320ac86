"""Real servers on loopback that the tests run the product against.

- `hub_server`: a Hub-compatible server (repos, commits, LFS, Spaces) for the real
  huggingface_hub client, with Hugging Face Jobs (`jobs_server`) that really run;
- `api_server`: canned API replies, and X, Bluesky and Mastodon stand-ins whose timelines grow.
"""
