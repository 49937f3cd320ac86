"""The bot folder `DIR`, which every stage reads and writes: one owner for each of its facts.

- `layout`: where each file and folder lives inside `DIR` and inside its model repo `DIR/repo/`.
- `manifest`: `DIR/bot.json`, read and written only through `load` and `save`.
- `posts`: `DIR/data/posts.jsonl`, the cleaned posts.
- `outdir`: what `DIR` may hold, and writing it without ever losing anything (staging folders).
- `locate`: what BOT names on the command line (a bot folder, a model folder or a Hub repo id).
"""
