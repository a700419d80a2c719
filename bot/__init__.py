"""chambre-bot: the chat bot of the Chambre des Communs de Lille."""

__version__ = "0.2.0.dev0"
