"""What users declare: @asset, @sql_asset, @source, their options, fingerprints and AssetContext.

Imports no engine module (execution, storage, planning, catalog): a definition is a value."""
