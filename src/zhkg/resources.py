"""Everything zhkg loads once per process (dictionaries, gazetteers, models), in one idiom.

A loader function becomes a `Resource` with `@resource`: the first call loads, under a lock (the
store's loader threads and a server's request threads may ask at once), and every later call
returns the same value. `warm()` loads every resource registered so far, so a build loads them
before forking its workers (which then share the pages) and a Dask worker before its first task;
a module registers its resources when it is imported, so `warm()` loads what the importing code
can use, nothing more. A resource made with `per_thread=True` is loaded once per thread instead
(the CRF tagger keeps per-call state); `warm()` loads the calling thread's.

A loader that compiles code (numba) runs it once on a tiny input, so that warming compiles too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["Resource", "registered", "resource", "warm"]

T = TypeVar("T")

_registry: list[Resource[Any]] = []


class Resource(Generic[T]):
    """A value loaded on first use, once per process (or per thread), then kept."""

    def __init__(self, load: Callable[[], T], *, per_thread: bool = False) -> None:
        self.load = load
        self.name = f"{load.__module__}.{load.__qualname__}"
        self.__doc__ = load.__doc__
        self._lock = threading.Lock()
        self._local = threading.local() if per_thread else None
        self._value: T | None = None
        self._loaded = False

    def __call__(self) -> T:
        if self._local is not None:
            if not hasattr(self._local, "value"):
                self._local.value = self.load()
            return self._local.value  # type: ignore[no-any-return]
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._value = self.load()
                    self._loaded = True
        return self._value  # type: ignore[return-value]

    @property
    def loaded(self) -> bool:
        """Whether the value is loaded (in this thread, for a per-thread resource)."""
        return hasattr(self._local, "value") if self._local is not None else self._loaded

    def __repr__(self) -> str:
        return f"<resource {self.name}{' (loaded)' if self.loaded else ''}>"


@overload
def resource(load: Callable[[], T]) -> Resource[T]: ...
@overload
def resource(*, per_thread: bool = False) -> Callable[[Callable[[], T]], Resource[T]]: ...


def resource(load: Callable[[], T] | None = None, *, per_thread: bool = False
             ) -> Resource[T] | Callable[[Callable[[], T]], Resource[T]]:
    """`@resource` (or `@resource(per_thread=True)`) over a loader: registered for `warm()`."""

    def register(fn: Callable[[], T]) -> Resource[T]:
        made = Resource(fn, per_thread=per_thread)
        _registry.append(made)
        return made

    return register(load) if load is not None else register


def registered() -> list[Resource[Any]]:
    """Every resource registered so far, in registration (import) order."""
    return list(_registry)


def warm() -> None:
    """Load every registered resource now (before forking workers, say) instead of on first use."""
    for r in list(_registry):
        r()
