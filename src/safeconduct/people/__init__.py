"""People held: Art. 17 identity, its history, and the keys that find it across scripts."""

# The search keys follow every write of a person through session listeners: import the
# module that registers them wherever people are, so no writer can leave a person unfindable.
from safeconduct.people import search as search
