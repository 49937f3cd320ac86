"""What the tests, benchmarks and examples build their inputs with, and the services they talk to.

Builders of the formats people export, one module per family, each writing the format as its
owner delivers it:

- `x_archive`: X archives (`.zip` or a folder): the sample account, protected accounts and
  deleted posts, X's layout since 2023, bare members for bad inputs, synthetic archives at scale;
- `mastodon`: Mastodon archives (`.zip`, `.tar.gz`);
- `bluesky`: Bluesky repository exports (`repo.car`);
- `posts`: texts of posts, and JSONL files of them; `wren_posts`: the sample account's posts.
- `media`: pictures, as avatars and photos.

`fakes/`: the services, real servers on loopback: a Hub-compatible server with Hugging Face Jobs,
and stand-ins for the X, Bluesky and Mastodon APIs replaying recorded responses (`fakes/data/`).

Not part of the installed package: importable from the root of the checkout (`python -m ...`,
and the tests' `pythonpath`).
"""
