"""The bureau's outputs (GC III Arts. 70, 120, 122-123): capture cards, notifications to the
Central Tracing Agency, statistics, death notices, and the one export gate they all pass."""
