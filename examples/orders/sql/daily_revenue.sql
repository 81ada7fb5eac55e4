-- description = "Per day: paid orders, revenue and distinct customers."
-- partitions = { kind = "daily", start = "2025-01-01", end = "2026-01-01" }
-- io = "duckdb"
-- group = "orders"
-- checks = [{ not_null = "day" }, { row_count = { min = 1, max = 1 } }]
-- freshness = { max_lag = "2d" }
SELECT
    CAST($partition_key AS DATE) AS day,
    count(*) AS order_count,
    round(sum(amount), 2) AS revenue,
    count(DISTINCT customer_id) AS distinct_customers
FROM clean_orders
