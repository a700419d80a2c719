"""Chat backends (console, Matrix, Rocket.Chat) behind one small interface: see base.py."""
