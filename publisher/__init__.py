"""hf-tweetbot: turn someone's posts into a text-generation bot on the Hugging Face Hub."""

__version__ = "0.1.0"
