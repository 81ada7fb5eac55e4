-- description = "Views per key, in the warehouse."
-- partitions = { kind = "daily", start = "2025-01-01", end = "2025-01-03" }
-- io = "duckdb"
SELECT country, CAST(sum(views) AS DECIMAL(18, 2)) AS total
FROM page_views_by_country_and_device_daily
GROUP BY country
