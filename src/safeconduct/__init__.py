"""Safe Conduct: the registry that keeps the promises made to combatants who surrender."""

__version__ = "0.1.0"
