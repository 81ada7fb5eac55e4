"""OpenLineage events of a run: each attempt at a partition is an OpenLineage run of the
asset's job, START then COMPLETE, FAIL or ABORT (spec 2-0-2), sent to the transports of
``[openlineage]`` in ``assets.toml`` (a JSON-lines file, an HTTP endpoint) or of the
standard ``OPENLINEAGE_*`` variables.

Naming (README "OpenLineage"): the namespace is ``[openlineage] namespace``, else
``OPENLINEAGE_NAMESPACE``, else ``assets-core://<project name>``; it holds the jobs and the
datasets alike, so the output of one asset's job is the input of the next. Job name = dataset
name = the asset's name; the partition is in the ``subset`` facet, its data version in
``version``. Every attempt's runId is a UUID derived from (run id, asset, partition, attempt);
its ``parent`` facet names the ``assets`` run (job ``materialize``, runId derived from the run id).

Emitting is best effort, like hooks: nothing here raises into the run, a transport that fails
is logged and counted (``close`` returns the counts for the run's summary), and the HTTP
transport sends from a background thread, so a slow endpoint never holds up a partition.

Modules: ``events`` (the events and facets, pure), ``transports`` (file, HTTP), ``emitter``
(:class:`~assets_core.execution.openlineage.emitter.Lineage`, what the run loop calls). This
package imports nothing itself: loading a project checks ``[openlineage] url`` with
``transports`` alone.

The engine calls :meth:`Lineage.started`, :meth:`Lineage.skipped` and :meth:`Lineage.concluded`
from the thread that runs a step (the main process, whatever the executor), so they lock what
they share.
"""
