"""Errors a person can act on: each names the bad value and the fix."""


class RagError(Exception):
    """Base class for every error the assistant reports to a user."""


class CorpusError(RagError):
    """A corpus file or the manifest cannot be read as documented."""


class IndexStateError(RagError):
    """The on-disk index is missing, stale, corrupt or built by another embedder."""


class EmbedderError(RagError):
    """A configured embedding model is missing or cannot be loaded."""


class QuestionError(RagError):
    """A question is empty, too long or otherwise unusable."""
