"""``assets report``: one self-contained HTML file of the graph, the statuses of every
partition, checks, runs and each asset's page. :mod:`.data` builds the values, :mod:`.layout`
places the graph, :mod:`.calendar` the partitions, :mod:`.render` makes the page."""
