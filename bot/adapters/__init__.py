"""The edges: Telegram, the terminal, TinyDB storage and feed fetching."""
