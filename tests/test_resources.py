"""zhkg.resources: one load per process (or thread), and `warm()` loads whatever is registered."""

from __future__ import annotations

import threading

from zhkg import resources
from zhkg.resources import Resource, resource


def test_a_resource_loads_once_however_many_threads_ask() -> None:
    calls: list[int] = []
    started = threading.Barrier(8)

    def load() -> object:
        calls.append(1)
        return object()

    shared = Resource(load)
    seen: list[object] = []

    def ask() -> None:
        started.wait()
        seen.append(shared())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(v) for v in seen}) == 1 and shared.loaded


def test_a_per_thread_resource_loads_once_in_each_thread() -> None:
    made = Resource(object, per_thread=True)
    here = made()
    there: list[object] = []
    worker = threading.Thread(target=lambda: there.extend([made(), made()]))
    worker.start()
    worker.join()
    assert made() is here
    assert there[0] is there[1] and there[0] is not here


def test_warm_loads_every_registered_resource() -> None:
    @resource
    def counted() -> list[str]:
        return ["loaded"]

    try:
        assert not counted.loaded
        resources.warm()
        assert counted.loaded and counted() == ["loaded"]
    finally:
        resources._registry.remove(counted)


def test_the_extractions_resources_are_registered_by_importing_the_pipeline() -> None:
    # warm() is not a hand list: importing the per-article job registers what it uses
    import zhkg.pipeline  # noqa: F401

    names = {r.name for r in resources.registered()}
    for wanted in ("segment.tokenizer", "segment.segmenter", "tagger._default_tagger",
                   "gazetteer._db", "vocabulary._vocab", "names.surnames"):
        assert any(n.endswith(wanted) for n in names), wanted
