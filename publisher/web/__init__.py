"""The bot creator in the browser (`hf-tweetbot web`), locally or as a Hugging Face Space.

- `app.py`: the page (`build_app(cfg) -> gr.Blocks`) and its `/create` API endpoint;
- `jobs.py`: prepare, train and publish through `publisher.pipeline` in worker threads, one
  training at a time, with progress, cancellation and a time budget;
- `readings.py`: each visitor's reading of posts in a process of its own, on a CPU-time and
  memory budget, stopped when its page closes, long ones at a lower priority;
- `session.py`: the limits (`WebConfig`), each session's private work folder, typed sources;
- `visitors.py`: what one visitor may make it do, and the fair line of trainings;
- `file_routes.py`: what gradio's file routes serve (gradio's own assets only), `launch_options`;
- `views.py`: the HTML it shows (escaped);
- `space_folder.py`: `write_space_folder(dir)`, a Space running this app (`--space-folder`).
"""

from .app import build_app
from .file_routes import launch_options
from .session import WebConfig

__all__ = ["WebConfig", "build_app", "launch_options"]
