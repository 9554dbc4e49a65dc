"""The run: `build` (articles in, a built folder out), `remove`, the per-article job (`work`),
the engines that map it, `zhkg extract`'s JSON lines, and the page of a build."""
