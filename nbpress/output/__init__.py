"""Stage 6: the built site on disk: written atomically, its search index, and the build state."""
